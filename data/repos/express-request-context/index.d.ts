import { RequestHandler } from 'express';

export interface Options {
  header?: string;
  generate?: () => string;
  setResponseHeader?: boolean;
}
export interface Context { id: string; startedAt: number; [key: string]: unknown }
export function requestContext(options?: Options): RequestHandler;
export function getContext(): Context | undefined;
export function setContextValue(key: string, value: unknown): void;
