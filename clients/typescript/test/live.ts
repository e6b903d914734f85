// Runs against a live connect-api: API_URL, and TOKEN_A and TOKEN_B of two members who are not
// connected and have no invitation between them. A invites B with a note, B accepts, A looks up
// the relationship to B, and A's second invitation is refused with a typed problem. Prints a
// line per step; exits 1 at the first answer that is not the expected one.
import { connectClient, type ProblemCode } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function expect(what: string, ok: boolean, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}`);
  console.log(`ok ${what}`);
}

const NOTE = "We met at the analytical engines meetup.";
const UNKNOWN_MEMBER = 9_000_000_000;

async function main(): Promise<void> {
  const baseUrl = env("API_URL");
  const a = connectClient(baseUrl, env("TOKEN_A"));
  const b = connectClient(baseUrl, env("TOKEN_B"));

  const meA = (await a.GET("/v1/me")).data;
  const meB = (await b.GET("/v1/me")).data;
  if (!meA || !meB) throw new Error("GET /v1/me failed for A or B");
  console.log(`A is member ${meA.id} (${meA.handle}), B is member ${meB.id} (${meB.handle})`);

  const sent = await a.POST("/v1/invitations", { body: { invitee_id: meB.id, message: NOTE } });
  expect("A invites B: 201", sent.response.status === 201, sent.error ?? sent.response.status);
  const invitation = sent.data;
  if (!invitation) throw new Error("no invitation in the answer");
  expect(
    "the invitation is pending, to B, with the note",
    invitation.status === "pending" && invitation.invitee.id === meB.id && invitation.message === NOTE,
    invitation,
  );

  const accepted = await b.POST("/v1/invitations/{invitation_id}/accept", {
    params: { path: { invitation_id: invitation.id } },
  });
  expect("B accepts", accepted.data?.status === "accepted", accepted.error ?? accepted.data);

  const looked = await a.GET("/v1/relationships", {
    params: { query: { ids: [meB.id, UNKNOWN_MEMBER] } },
  });
  const [toB, toUnknown] = looked.data?.items ?? [];
  if (!toB || !toUnknown) throw new Error(`relationships: ${JSON.stringify(looked.error ?? looked.data)}`);
  const degree: number | null = toB.degree; // 1, 2 or 3 (minimum and maximum in the document)
  expect(
    "A's relationship to B: degree 1, connected, action message",
    toB.member_id === meB.id && degree === 1 && toB.connected && toB.action === "message",
    toB,
  );
  expect("an unknown member is unavailable", toUnknown.action === "unavailable", toUnknown);

  const again = await a.POST("/v1/invitations", { body: { invitee_id: meB.id, message: NOTE } });
  const expected: ProblemCode = "already_connected";
  const problem = again.error;
  expect(
    "inviting again is a problem+json 409",
    again.data === undefined &&
      again.response.status === 409 &&
      (again.response.headers.get("content-type") ?? "").startsWith("application/problem+json"),
    again.error ?? again.data,
  );
  const code: ProblemCode | undefined = problem?.code;
  expect(`its code is ${expected}`, code === expected && problem?.status === 409, problem);
}

main().then(
  () => console.log("live run: all steps passed"),
  (error: unknown) => {
    console.error(`live run FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
