// Tests (Node): what a party lets the server send follows from its model; a model that would need more than the site's ceiling is refused.
import { describe, expect, it } from 'vitest';
import { inboundLimits } from '../../../../main/federation/client/inbound-limits.js';

/** The MLP of the shipped sample: 784-128-10. */
const MLP = [
  { name: 'dense/kernel', shape: [784, 128] },
  { name: 'dense/bias', shape: [128] },
  { name: 'dense_1/kernel', shape: [128, 10] },
  { name: 'dense_1/bias', shape: [10] },
];

describe('inboundLimits', () => {
  it("holds a PullObject answer to one object and every other answer to one message's metadata and tree", () => {
    const limits = inboundLimits(MLP, 2 ** 30);
    expect(limits.message.bytes).toBeGreaterThan(4 * (784 * 128 + 128 + 1280 + 10));
    expect(limits.message.bytes).toBeLessThan(5 * 2 ** 20);
    expect(limits.answerBytes('PullObject')).toBeGreaterThan(limits.message.objectBytes);
    expect(limits.answerBytes('PullObject')).toBeLessThan(limits.message.objectBytes + 1024);
    expect(limits.answerBytes('PullMessages')).toBe(limits.answerBytes('SendNodeHeartbeat'));
    expect(limits.answerBytes('PullMessages')).toBeLessThan(128 * 1024);
    expect(limits.largestAnswerBytes).toBe(limits.answerBytes('PullObject'));
  });

  it('refuses a model whose messages would weigh more than max_message_mb allows', () => {
    const large = [{ name: 'dense/kernel', shape: [4096, 1024] }]; // 16 MiB of float32
    const refusal =
      /^a message carrying this model may weigh up to \d+ bytes, more than the 16777216 that federation.max_message_mb allows$/;
    expect(() => inboundLimits(large, 16 * 2 ** 20)).toThrow(refusal);
    expect(inboundLimits(large, 24 * 2 ** 20).largestAnswerBytes).toBeGreaterThan(16 * 2 ** 20);
  });
});
