/**
 * A path to a field of a document, rendered as Kuma renders it: `mtls.backends[1].name`,
 * `networking.inbound[0].tags["kuma.io/service"]`. Immutable: every step returns a new path.
 */
export class FieldPath {
  /** The document itself; a violation here has the field `""`. */
  static readonly root = new FieldPath('');

  private constructor(private readonly text: string) {}

  /** A path that starts at a top-level field. */
  static at(name: string): FieldPath {
    return FieldPath.root.field(name);
  }

  field(name: string): FieldPath {
    return new FieldPath(this.text === '' ? name : `${this.text}.${name}`);
  }

  index(position: number): FieldPath {
    return new FieldPath(`${this.text}[${position}]`);
  }

  /** A map key, quoted because keys such as `kuma.io/service` contain dots. */
  key(name: string): FieldPath {
    return new FieldPath(`${this.text}[${JSON.stringify(name)}]`);
  }

  toString(): string {
    return this.text;
  }
}
