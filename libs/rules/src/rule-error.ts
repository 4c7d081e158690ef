/**
 * A rule that cannot run on this node's data. `detail` may quote inspected values, so it is
 * left out of messages of sensitive rules.
 */
export class RuleError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'RuleError';
  }

  describe(sensitive: boolean): string {
    return sensitive || !this.detail ? this.message : `${this.message}: ${this.detail}`;
  }
}

/** The `fail` action: inspection stops with the rule's message. */
export class RuleFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleFailure';
  }
}
