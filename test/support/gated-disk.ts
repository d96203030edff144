import fs from 'node:fs';

/** A disk whose fdatasync can be held back — the one fault a real disk will not produce on demand (store open option `fdatasync`). */
export function gatedDisk() {
  let open = true;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  return {
    fdatasync: async (fd: number) => {
      await gate;
      fs.fdatasyncSync(fd);
    },
    hold() {
      open = false;
      gate = new Promise<void>((r) => (release = r));
    },
    release() {
      if (!open) release();
      open = true;
    },
  };
}
