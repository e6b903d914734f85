// A thin layer over openapi-fetch: a client that sends the member's bearer token and encodes
// query arrays as the document says, and names for the types used most. Every request and
// answer is typed by src/schema.d.ts, generated from openapi/openapi.json (`make clients`).
import createClient, { type Client } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
/** The body of every refusal (`application/problem+json`). */
export type Problem = Schemas["Problem"];
/** The stable `code` of a refusal: switch on this. */
export type ProblemCode = Problem["code"];
export type ConnectClient = Client<paths>;

/** A client of the service at `baseUrl` acting as the holder of `token`. */
export function connectClient(baseUrl: string, token: string): ConnectClient {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
    // `ids` of GET /v1/relationships is `style: form, explode: false`: `ids=1,2,3`.
    querySerializer: { array: { style: "form", explode: false } },
  });
}
