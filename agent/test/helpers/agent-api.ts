// Talking to a running agent as the conductor does.
export interface CommandAnswer {
  status: number;
  body: any;
}

export async function postCommand(
  agentUrl: string,
  token: string | undefined,
  name: string,
  params: Record<string, unknown>,
  wait = false,
): Promise<CommandAnswer> {
  const query = new URLSearchParams({ wait: String(wait) });
  if (token !== undefined) query.set('agent_token', token);
  const res = await fetch(`${agentUrl}/v1/commands/?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, params }),
  });
  return { status: res.status, body: await res.json() };
}

/** Polls the command list (as Ironic's agent client does) until the command left RUNNING. */
export async function waitForCommand(
  agentUrl: string,
  token: string,
  id: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${agentUrl}/v1/commands/?agent_token=${encodeURIComponent(token)}`);
    const { commands } = (await res.json()) as { commands: any[] };
    const command = commands.find((c) => c.id === id);
    if (command && command.command_status !== 'RUNNING') return command;
    if (Date.now() > deadline) throw new Error(`command ${id} still running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Posts an async command and waits for its outcome. */
export async function runCommand(
  agentUrl: string,
  token: string,
  name: string,
  params: Record<string, unknown>,
) {
  const answer = await postCommand(agentUrl, token, name, params);
  if (answer.status !== 200)
    throw new Error(`${name}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  if (answer.body.command_status !== 'RUNNING') return answer.body;
  return waitForCommand(agentUrl, token, answer.body.id);
}
