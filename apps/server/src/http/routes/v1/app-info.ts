import type { FastifyInstance } from "fastify";
import type { AppConfig, BuiltinTool } from "@enclave/contracts";
import { getServiceApp, getServiceAppInfo, type ServingApp } from "@enclave/core";
import type { ConsoleRouteDeps } from "../console/deps.ts";

const APP_KEY = { permission: "app.invoke", auth: "appKey" } as const;

/** Dify's read-only app endpoints: GET /v1/parameters, /v1/info, /v1/meta, /v1/site. */
export function appInfoRoutes(deps: ConsoleRouteDeps) {
  const uploadMb = Math.floor(deps.config.chat.uploadMaxBytes / 1048576);
  return async (app: FastifyInstance) => {
    app.get("/v1/parameters", { config: APP_KEY }, async (request) =>
      parameters((await getServiceApp(request.ctx)).config, uploadMb),
    );
    app.get("/v1/info", { config: APP_KEY }, async (request) => {
      const { app: served, authorName } = await getServiceAppInfo(request.ctx);
      return {
        name: served.name,
        description: served.description,
        tags: [],
        mode: served.mode,
        author_name: authorName,
      };
    });
    app.get("/v1/meta", { config: APP_KEY }, async (request) => ({
      tool_icons: toolIcons((await getServiceApp(request.ctx)).config.tools),
    }));
    app.get("/v1/site", { config: APP_KEY }, async (request) => site(await getServiceApp(request.ctx)));
  };
}

const off = { enabled: false } as const;

/** The app's front-end settings in Dify's `/parameters` shape; features Enclave lacks read as off. */
function parameters(config: AppConfig, uploadMb: number) {
  const files = config.fileUpload;
  return {
    opening_statement: config.openingStatement,
    suggested_questions: config.suggestedQuestions,
    suggested_questions_after_answer: off,
    speech_to_text: off,
    text_to_speech: { enabled: false, voice: "", language: "", autoPlay: "disabled" },
    retriever_resource: off,
    annotation_reply: off,
    more_like_this: off,
    sensitive_word_avoidance: off,
    user_input_form: config.userInputForm,
    file_upload: {
      enabled: files.enabled,
      allowed_file_types: ["image", "document"],
      allowed_file_extensions: [],
      allowed_file_upload_methods: ["local_file"],
      number_limits: files.numberLimits,
      image: {
        enabled: files.enabled,
        number_limits: files.numberLimits,
        detail: "high",
        transfer_methods: ["local_file"],
      },
    },
    system_parameters: {
      file_size_limit: uploadMb,
      image_file_size_limit: uploadMb,
      audio_file_size_limit: 0,
      video_file_size_limit: 0,
      workflow_file_upload_limit: files.numberLimits,
    },
  };
}

const TOOL_ICONS: Record<BuiltinTool, { background: string; content: string }> = {
  current_time: { background: "#EEF4FF", content: "🕒" },
  http_get: { background: "#EEF4FF", content: "🌐" },
};

function toolIcons(tools: readonly BuiltinTool[]) {
  return Object.fromEntries(tools.map((tool) => [tool, TOOL_ICONS[tool]]));
}

/** The web app's branding in Dify's `/site` shape (Enclave has no per-site theme settings yet). */
function site(app: ServingApp) {
  return {
    title: app.name,
    chat_color_theme: null,
    chat_color_theme_inverted: false,
    icon_type: "emoji",
    icon: app.icon,
    icon_background: "#FFEAD5",
    icon_url: null,
    description: app.description,
    copyright: null,
    privacy_policy: null,
    custom_disclaimer: "",
    default_language: "en-US",
    show_workflow_steps: false,
    use_icon_as_answer_icon: false,
  };
}
