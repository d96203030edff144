/**
 * Source positions for a parsed YAML document: maps a field path to the line and column it was
 * written at, so every problem can point at the exact spot.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node as YamlNode } from 'yaml';
import type { FieldPath } from './problems.js';

export interface Position {
  line: number;
  col: number;
}

export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of a byte offset in the text. */
  at(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /**
   * Where `path` was written: its value (default) or its key. A path that does not exist in the
   * file (a missing field) resolves to the deepest enclosing node that does.
   */
  locate(path: FieldPath, which: 'value' | 'key' = 'value'): Position {
    let node: unknown = this.doc.contents;
    let keyNode: YamlNode | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair || !isPair(pair)) break;
        keyNode = pair.key as YamlNode;
        // `key:` with no value: point at the key.
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        keyNode = undefined;
        node = node.items[seg];
      } else break;
    }
    const target = which === 'key' && keyNode ? keyNode : (node as YamlNode | null);
    const offset = target?.range?.[0] ?? 0;
    return this.at(offset);
  }
}
