import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * A stand-in for the agent's own API (ironic-python-agent's /v1/commands): enough for the
 * conductor to plan and start one clean step, which then runs forever. It records every call, so
 * a test sees whether a heartbeat made the conductor act, and with which token.
 */
export class FakeAgent {
  readonly calls: { method: string; path: string; token: string | null; name?: string }[] = [];
  private readonly commands: Record<string, unknown>[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeAgent> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const agent = new FakeAgent(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', agent.url);
        const body = text ? (JSON.parse(text) as { name?: string }) : {};
        agent.calls.push({
          method: req.method ?? '',
          path: url.pathname,
          token: url.searchParams.get('agent_token'),
          name: body.name,
        });
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.method === 'GET' && url.pathname === '/v1/commands/')
          return json(200, { commands: agent.commands });
        if (req.method === 'POST' && url.pathname === '/v1/commands/') {
          const command =
            body.name === 'clean.get_clean_steps'
              ? agent.command('get_clean_steps', 'SUCCEEDED', {
                  clean_steps: {
                    GenericHardwareManager: [
                      { step: 'erase_devices_metadata', priority: 99, interface: 'deploy' },
                    ],
                  },
                  hardware_manager_version: { generic_hardware_manager: '1.1' },
                })
              : agent.command(String(body.name).split('.').pop()!, 'RUNNING', null);
          return json(200, command);
        }
        json(404, { error: 'not here' });
      });
    });
    return agent;
  }

  private command(name: string, status: string, result: unknown) {
    const command = {
      id: randomUUID(),
      command_name: name,
      command_status: status,
      command_error: null,
      command_result: result,
    };
    this.commands.push(command);
    return command;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
