/**
 * A confirmation for what cannot be undone: a modal <dialog> (the browser keeps focus inside it and
 * Escape cancels) that asks to type a name before the action button works.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function ConfirmDialog(props: { open: boolean; title: string; children: preact.ComponentChildren; confirmText: string; actionLabel: string; busy?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (props.open && !d.open) {
      setTyped('');
      d.showModal();
    }
    if (!props.open && d.open) d.close();
  }, [props.open]);
  const id = `confirm-${props.confirmText.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <dialog ref={ref} aria-labelledby={`${id}-title`} onCancel={(e) => (e.preventDefault(), props.onCancel())}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === props.confirmText) props.onConfirm();
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        {props.children}
        <label for={`${id}-input`}>
          Type <strong>{props.confirmText}</strong> to confirm
        </label>
        <input id={`${id}-input`} value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={typed !== props.confirmText || props.busy}>
            {props.actionLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
