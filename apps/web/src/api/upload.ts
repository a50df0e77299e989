import { ApiError, csrf, errorFromBody, fetchCsrf } from "./client.ts";

const BASE = "/console/api";

export interface UploadProgress {
  loaded: number;
  total: number;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function sendOnce(
  path: string,
  form: FormData,
  token: string,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ status: number; statusText: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${BASE}${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("x-csrf-token", token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
    };
    xhr.onload = () =>
      resolve({ status: xhr.status, statusText: xhr.statusText, body: parse(xhr.responseText) });
    xhr.onerror = () => reject(new ApiError(0, "internal_error", "network error"));
    xhr.onabort = () => reject(new ApiError(0, "internal_error", "upload cancelled"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * POSTs one file as multipart/form-data (`file`, plus `data` as JSON) with the CSRF header, and
 * reports upload progress. XMLHttpRequest, because fetch has no upload progress events.
 */
export async function uploadFile<T>(
  path: string,
  file: File,
  data: unknown,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<T> {
  const form = new FormData();
  form.append("data", JSON.stringify(data ?? {}));
  form.append("file", file, file.name);
  let res = await sendOnce(path, form, await csrf(), onProgress, signal);
  const body = () => res.body as { code?: unknown; message?: unknown; details?: unknown };
  if (res.status === 403 && body().code === "csrf_failed")
    res = await sendOnce(path, form, await fetchCsrf(), onProgress, signal);
  if (res.status < 200 || res.status >= 300) throw errorFromBody(res.status, res.statusText, body());
  return res.body as T;
}
