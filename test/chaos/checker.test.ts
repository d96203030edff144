/**
 * The chaos checker on made-up histories: it must catch each kind of broken promise (so a green
 * chaos run means something) and must not call legitimate at-least-once behaviour a failure.
 */
import { describe, expect, it } from 'vitest';
import { check, problems } from './checker.js';
import { bodyOf, idOfBody, type HistoryEvent } from './history.js';

let t = 1_000;
const send = (id: string): HistoryEvent => ({ e: 'send', t: t++, id, lane: id.split(':')[0]!, client: 'ours' });
const ack = (id: string, queue: number, offset: number, status = 'SEND_OK'): HistoryEvent => ({ e: 'ack', t: t++, id, lane: id.split(':')[0]!, status, msgId: `M-${id}`, broker: 'broker-a', queue, offset });
const deliver = (group: string, id: string | null, queue: number, offset: number, body = id ? '' : 'garbage'): HistoryEvent => ({ e: 'deliver', t: t++, group, member: `${group}-0`, client: 'ours', id, body, msgId: `M-${id}`, broker: 'broker-a', queue, offset, reconsume: 0, storeAt: '10.77.0.13:10911' });

/** l:0..l:n-1 sent, acknowledged at queue 0 offsets 0..n-1, delivered once to G. */
function clean(n: number, group = 'G'): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (let i = 0; i < n; i++) out.push(send(`l:${i}`), ack(`l:${i}`, 0, i));
  for (let i = 0; i < n; i++) out.push(deliver(group, `l:${i}`, 0, i));
  return out;
}

describe('chaos checker', () => {
  it('bodies carry their id and a hash: ours decode, a changed byte or a stranger does not', () => {
    const b = bodyOf('ours0:17', 40);
    expect(idOfBody(b)).toBe('ours0:17');
    expect(idOfBody(b.replace('ppp', 'ppq'))).toBeNull();
    expect(idOfBody('hello')).toBeNull();
  });

  it('a clean history has no problems, and counts what it saw', () => {
    const v = check(clean(10));
    expect(problems(v, { noLossAsserted: true })).toEqual([]);
    expect(v).toMatchObject({ sent: 10, acknowledged: 10, lost: 0, phantom: 0, duplicates: 0 });
  });

  it('an acknowledged message never delivered is lost (a problem only where the mode promises none)', () => {
    const h = clean(5).filter((e) => !(e.e === 'deliver' && e.id === 'l:3'));
    const v = check(h);
    expect(v.lost).toBe(1);
    expect(v.groups.G!.lost).toEqual(['l:3']);
    expect(problems(v, { noLossAsserted: true }).join()).toMatch(/1 acknowledged messages never delivered: l:3/);
    expect(problems(v, { noLossAsserted: false })).toEqual([]);
  });

  it('every group must get every acknowledged message', () => {
    const h = [...clean(3), deliver('H', 'l:0', 0, 0), deliver('H', 'l:1', 0, 1)];
    expect(check(h).groups.H!.lost).toEqual(['l:2']);
  });

  it('not durable answers (SLAVE_NOT_AVAILABLE...) are counted apart, their loss is reported, not asserted', () => {
    const h: HistoryEvent[] = [send('l:0'), ack('l:0', 0, 0, 'SLAVE_NOT_AVAILABLE')];
    const v = check([...h, deliver('G', 'l:x', 0, 9)]);
    expect(v.storedNotDurable).toBe(1);
    expect(v.groups.G!.lostNotDurable).toEqual(['l:0']);
  });

  it('a delivery of something never sent, or of a corrupted body, is a phantom', () => {
    const v = check([...clean(2), deliver('G', null, 0, 7, 'l:9|pp|0000'), deliver('G', 'l:77', 1, 0)]);
    expect(v.phantom).toBe(2);
    expect(problems(v, { noLossAsserted: false }).join()).toMatch(/never sent or corrupted/);
  });

  it('two messages at one position is a conflict; an acknowledged position holding another message is misplaced', () => {
    const h = [...clean(2), deliver('H', 'l:1', 0, 0), deliver('H', 'l:0', 0, 1)];
    const v = check(h);
    expect(v.conflicts.length).toBeGreaterThan(0);
    expect(v.groups.H!.misplaced.length).toBe(2);
    expect(problems(v, { noLossAsserted: true }).join()).toMatch(/delivered as two messages/);
  });

  it('duplicates are counted, split into redeliveries and copies stored twice, and are no problem', () => {
    const h = [...clean(3), deliver('G', 'l:1', 0, 1), send('l:3'), ack('l:3', 1, 0), deliver('G', 'l:3', 1, 0), deliver('G', 'l:3', 1, 1)];
    const v = check(h);
    expect(v.groups.G!.duplicates).toEqual({ redelivered: 1, storedTwice: 1 });
    expect(v.duplicates).toBe(2);
    expect(problems(v, { noLossAsserted: true })).toEqual([]);
  });

  it('an orderly group must get each queue in offset order (redeliveries may go back); other groups need not', () => {
    const base: HistoryEvent[] = [];
    for (let i = 0; i < 4; i++) base.push(send(`l:${i}`), ack(`l:${i}`, 0, i));
    const inOrderWithRedelivery = [deliver('G_ORDERLY', 'l:0', 0, 0), deliver('G_ORDERLY', 'l:1', 0, 1), deliver('G_ORDERLY', 'l:0', 0, 0), deliver('G_ORDERLY', 'l:2', 0, 2), deliver('G_ORDERLY', 'l:3', 0, 3)];
    expect(check([...base, ...inOrderWithRedelivery]).groups.G_ORDERLY!.orderViolations).toEqual([]);
    const swapped = [deliver('G_ORDERLY', 'l:0', 0, 0), deliver('G_ORDERLY', 'l:2', 0, 2), deliver('G_ORDERLY', 'l:1', 0, 1), deliver('G_ORDERLY', 'l:3', 0, 3)];
    const v = check([...base, ...swapped]);
    expect(v.groups.G_ORDERLY!.orderViolations.join()).toMatch(/offset 1 first delivered after 2/);
    expect(problems(v, { noLossAsserted: true }).join()).toMatch(/order/);
    const concurrent = swapped.map((d) => ({ ...d, group: 'G' }) as HistoryEvent);
    expect(check([...base, ...concurrent]).groups.G!.orderViolations).toEqual([]);
  });

  it("a lane's acknowledged messages in one queue must be stored in send order", () => {
    const h: HistoryEvent[] = [send('l:0'), ack('l:0', 0, 5), send('l:1'), ack('l:1', 0, 4), deliver('G', 'l:0', 0, 5), deliver('G', 'l:1', 0, 4)];
    expect(check(h).laneOrderViolations.join()).toMatch(/l:1 stored at broker-a\/0@4, not after l:0/);
  });

  it('a skipped offset (stored, never delivered) is reported', () => {
    const h = clean(4).filter((e) => !(e.e === 'deliver' && e.offset === 2));
    expect(check(h).groups.G!.skipped.join()).toMatch(/1 offsets never delivered \(2\)/);
  });

  it('recovery: heal -> every lane acknowledged and every group received a message sent after the heal', () => {
    const h: HistoryEvent[] = [
      { e: 'fault', t: 100, n: 1, kind: 'kill9', target: 'broker-a-0', detail: '{}' },
      { e: 'heal', t: 200, n: 1, kind: 'kill9', target: 'broker-a-0' },
      { e: 'send', t: 150, id: 'a:0', lane: 'a', client: 'ours' },
      { e: 'ack', t: 210, id: 'a:0', lane: 'a', status: 'SEND_OK', msgId: 'x', broker: 'b', queue: 0, offset: 0 },
      { e: 'send', t: 220, id: 'a:1', lane: 'a', client: 'ours' },
      { e: 'ack', t: 260, id: 'a:1', lane: 'a', status: 'SEND_OK', msgId: 'y', broker: 'b', queue: 0, offset: 1 },
      { e: 'deliver', t: 300, group: 'G', member: 'G-0', client: 'ours', id: 'a:0', body: '', msgId: 'x', broker: 'b', queue: 0, offset: 0, reconsume: 0, storeAt: '' },
      { e: 'deliver', t: 450, group: 'G', member: 'G-0', client: 'ours', id: 'a:1', body: '', msgId: 'y', broker: 'b', queue: 0, offset: 1, reconsume: 0, storeAt: '' },
    ];
    expect(check(h).faults).toEqual([{ n: 1, kind: 'kill9', target: 'broker-a-0', detail: '{}', faultMs: 100, recoveryMs: 250, longestSendMs: 60, failedSends: 0 }]);
  });

  it('a client that does not say where a message came from (queue -1) is judged by id: lost, phantom and duplicates, no positions', () => {
    const h: HistoryEvent[] = [...clean(3)];
    const v5 = (id: string | null, body = ''): HistoryEvent => ({ ...(deliver('V5', id, -1, -1, body) as Extract<HistoryEvent, { e: 'deliver' }>), client: 'v5' });
    h.push(v5('l:0'), v5('l:0'), v5('l:1'), v5(null, 'garbage'));
    // its receipts do not know the queue either: no position, no lane order to judge
    h.push(send('w:0'), ack('w:0', -1, 9), send('w:1'), ack('w:1', -1, 2), v5('w:0'), v5('w:1'));
    for (const g of ['G']) h.push(deliver(g, 'w:0', 2, 0), deliver(g, 'w:1', 3, 0));
    const v = check(h);
    expect(v.laneOrderViolations).toEqual([]);
    expect(v.groups.G!.misplaced).toEqual([]);
    expect(v.groups.V5!.lost).toEqual(['l:2']);
    expect(v.groups.V5!.duplicates).toEqual({ redelivered: 1, storedTwice: 0 });
    expect(v.groups.V5!.phantomCount).toBe(1);
    expect(v.groups.V5!.misplaced).toEqual([]);
    expect(v.conflicts).toEqual([]);
  });
});
