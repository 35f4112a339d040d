/**
 * Where the rendered chart goes besides the report itself. Notion: a single-part file upload
 * (create, then send the bytes), whose id the report event carries so the Notion logger can put
 * an image block naming it in the page body. The task uploads because it holds the PNG; the
 * Lambda only attaches, so the notification path stays free of rendering and large payloads.
 *
 * Notion's limits (https://developers.notion.com/docs/uploading-small-files): a single-part
 * upload is at most 20 MB, and at most 5 MB in a free workspace; an upload that no block or page
 * references within an hour expires. A chart is tens of KB, so the 5 MB bound is kept everywhere
 * and anything larger is refused here, before a request, rather than by Notion.
 *
 * Slack: in bot mode the picture goes to the reports channel through files.getUploadURLExternal /
 * files.completeUploadExternal, on the Slack app mode's Web API client (runtime/slack/web-api.ts).
 */
import { Client, LogLevel } from "@notionhq/client";
import { ConfigError, DroxError } from "../contract/errors";
import { SECRETS, readSecret } from "../settings/secrets";
import { readBotSettings } from "../slack/settings";
import { SlackWebApi } from "../slack/web-api";

/** Notion's single-part limit in a free workspace (the paid plans' 20 MB is not assumed). */
export const NOTION_SINGLE_PART_MAX_BYTES = 5 * 1024 * 1024;

export interface ChartUploader {
  /** Uploads the PNG and returns the file upload's id, ready to be referenced by an image block. */
  upload(png: Buffer, filename: string): Promise<string>;
}

/** What the report needs from a Slack bot client (bot mode); absent in webhook mode. */
export interface SlackFileUploader {
  uploadFile(args: {
    readonly channel: "reports";
    readonly filename: string;
    readonly title: string;
    readonly data: Buffer;
    readonly initialComment?: string;
  }): Promise<void>;
}

/**
 * Bot mode's uploader: the chart shared in the reports channel (SLACK_REPORTS_CHANNEL, else the
 * main one) through the Slack Web API client's uploadFile (files.getUploadURLExternal, then
 * files.completeUploadExternal). Undefined without a bot token (webhook mode: the sparkline).
 */
export async function slackChartUploaderFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<SlackFileUploader | undefined> {
  const bot = await readBotSettings(env);
  if (!bot) return undefined;
  const api = new SlackWebApi({ token: bot.token, apiUrl: bot.apiUrl });
  const channel = bot.channels.reports ?? bot.channels.main;
  return {
    async uploadFile(args) {
      await api.uploadFile({
        channel,
        filename: args.filename,
        title: args.title,
        data: args.data,
        ...(args.initialComment ? { initialComment: args.initialComment } : {}),
      });
    },
  };
}

/** The outlets of the task's environment: Notion with its token, Slack with a bot token. */
export async function outletsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ notion?: ChartUploader; slack?: SlackFileUploader }> {
  return { notion: await notionChartUploaderFromEnv(env), slack: await slackChartUploaderFromEnv(env) };
}

export class ChartTooLargeError extends DroxError {
  constructor(bytes: number) {
    super(
      `the chart is ${bytes} bytes; Notion takes at most ${NOTION_SINGLE_PART_MAX_BYTES} bytes in one part (free workspaces)`,
      { retryable: false },
    );
  }
}

type FileUploadsApi = Pick<Client["fileUploads"], "create" | "send">;

export class NotionChartUploader implements ChartUploader {
  constructor(private readonly fileUploads: FileUploadsApi) {}

  async upload(png: Buffer, filename: string): Promise<string> {
    if (png.length > NOTION_SINGLE_PART_MAX_BYTES) throw new ChartTooLargeError(png.length);
    const created = await this.fileUploads.create({
      mode: "single_part",
      filename,
      content_type: "image/png",
    });
    const sent = await this.fileUploads.send({
      file_upload_id: created.id,
      file: { filename, data: new Blob([new Uint8Array(png)], { type: "image/png" }) },
    });
    if (sent.status !== "uploaded")
      throw new DroxError(`Notion file upload ${created.id} is ${sent.status}, not uploaded`, {
        retryable: true,
      });
    return created.id;
  }
}

/**
 * The uploader of the task's environment, or undefined when Notion is not configured there
 * (NOTION_TOKEN / NOTION_TOKEN_SECRET_ARN): the report then goes out without a picture.
 */
export async function notionChartUploaderFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChartUploader | undefined> {
  if (!env.NOTION_TOKEN?.trim() && !env.NOTION_TOKEN_SECRET_ARN?.trim()) return undefined;
  const token = await readSecret(SECRETS.notionToken, env);
  const raw = env.NOTION_API_BASE_URL?.trim();
  if (raw && !/^https?:\/\//.test(raw))
    throw new ConfigError("NOTION_API_BASE_URL must be an http(s) URL, e.g. http://127.0.0.1:8787");
  const client = new Client({
    auth: token,
    // The SDK appends /v1/ itself.
    baseUrl: raw ? raw.replace(/\/+$/, "").replace(/\/v1$/, "") : undefined,
    logLevel: LogLevel.ERROR,
  });
  return new NotionChartUploader(client.fileUploads);
}
