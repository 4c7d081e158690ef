import { useState } from 'preact/hooks';
import {
  maintenanceAction,
  POWER_ACTIONS,
  provisionActions,
  type DeployImage,
  type NodeAction,
} from '../actions.js';
import type { NodeRow } from '../nodes.js';

/** The node's power and provision actions; each asks for confirmation before it is sent. */
export function Actions({ node }: { node: NodeRow }) {
  const [asking, setAsking] = useState<NodeAction | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const groups: [string, NodeAction[]][] = [
    ['Power', POWER_ACTIONS],
    ['Provision', provisionActions(node.provision_state)],
    ['Maintenance', [maintenanceAction(node.maintenance)]],
  ];
  return (
    <div class="actions" data-testid="actions">
      {groups.map(([title, actions]) => (
        <div class="group" key={title}>
          <span class="muted">{title}</span>
          {actions.map((action) => (
            <button
              type="button"
              key={action.id}
              class={action.danger ? 'danger' : ''}
              data-action={action.id}
              onClick={() => {
                setOutcome(null);
                setAsking(action);
              }}
            >
              {action.label}
            </button>
          ))}
        </div>
      ))}
      {outcome && (
        <p class={outcome.ok ? 'ok' : 'error'} data-testid="action-outcome" role="status">
          {outcome.text}
        </p>
      )}
      {asking && (
        <Confirm
          action={asking}
          node={node}
          onClose={() => setAsking(null)}
          onDone={(result) => {
            setAsking(null);
            setOutcome(result);
          }}
        />
      )}
    </div>
  );
}

function Confirm(props: {
  action: NodeAction;
  node: NodeRow;
  onClose: () => void;
  onDone: (outcome: { ok: boolean; text: string }) => void;
}) {
  const { action, node } = props;
  const [image, setImage] = useState<DeployImage>({ url: '', checksum: '' });
  const [busy, setBusy] = useState(false);
  const ready =
    !action.needsImage || (/^https?:\/\//.test(image.url) && image.checksum.trim() !== '');
  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await action.run(node.uuid, action.needsImage ? image : undefined);
      props.onDone({
        ok: true,
        text: `${action.label}: accepted. The page follows the node as it changes.`,
      });
    } catch (error) {
      props.onDone({ ok: false, text: `${action.label} was refused: ${(error as Error).message}` });
    }
  };
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
      <form class="dialog" onSubmit={confirm} data-testid="confirm">
        <h3 id="confirm-title">
          {action.label} {node.name ?? node.uuid}?
        </h3>
        <p>{action.question}</p>
        {action.needsImage && (
          <>
            <label>
              Image URL
              <input
                name="image_source"
                type="url"
                required
                placeholder="http://images.example/os.qcow2"
                value={image.url}
                onInput={(e) => setImage({ ...image, url: e.currentTarget.value })}
              />
            </label>
            <label>
              Checksum (sha256, or sha512/md5)
              <input
                name="image_checksum"
                required
                value={image.checksum}
                onInput={(e) => setImage({ ...image, checksum: e.currentTarget.value })}
              />
            </label>
          </>
        )}
        <div class="buttons">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={action.danger ? 'danger' : 'primary'}
            data-confirm
            disabled={busy || !ready}
          >
            {busy ? 'Sending…' : `Yes, ${action.label.toLowerCase()}`}
          </button>
        </div>
      </form>
    </div>
  );
}
