export function ErrorNote(props: { error: string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}

/** A polite live region: results of actions are read out without moving focus. */
export function Status(props: { text: string | undefined; kind?: 'ok' | 'error' }) {
  return (
    <p class={props.kind === 'error' ? 'error' : 'ok'} role="status" aria-live="polite">
      {props.text ?? ''}
    </p>
  );
}
