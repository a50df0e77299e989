import { z } from "zod";

import { type BUILTIN_METADATA, MetadataFieldName, METADATA_TYPES, type MetadataType } from "./knowledge.ts";

// Console shapes for a dataset's metadata: custom fields, the built-in switch, values per document.

/** A custom field as the console lists it, with how many documents carry a value. */
export interface DatasetMetadataField {
  id: string;
  name: string;
  type: MetadataType;
  count: number;
}

export interface DatasetMetadataView {
  fields: DatasetMetadataField[];
  builtInEnabled: boolean;
  builtIn: { name: (typeof BUILTIN_METADATA)[number]; type: MetadataType }[];
}

export const CreateMetadataFieldInput = z
  .object({ name: MetadataFieldName, type: z.enum(METADATA_TYPES) })
  .strict();
export type CreateMetadataFieldInput = z.infer<typeof CreateMetadataFieldInput>;

export const RenameMetadataFieldInput = z.object({ name: MetadataFieldName }).strict();
export type RenameMetadataFieldInput = z.infer<typeof RenameMetadataFieldInput>;

export const MetadataFieldParams = z.object({ id: z.uuid(), fieldId: z.uuid() }).strict();
export const BuiltInMetadataParams = z
  .object({ id: z.uuid(), action: z.enum(["enable", "disable"]) })
  .strict();

/** Values for one document's custom fields; `null` clears a value, fields not named are kept. */
export const SetDocumentMetadataInput = z
  .object({
    values: z
      .array(
        z
          .object({
            fieldId: z.uuid(),
            name: MetadataFieldName,
            value: z.union([z.string().max(1000), z.number()]).nullable(),
          })
          .strict(),
      )
      .max(50),
  })
  .strict();
export type SetDocumentMetadataInput = z.infer<typeof SetDocumentMetadataInput>;
