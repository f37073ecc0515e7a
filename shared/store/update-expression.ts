/** Builds DynamoDB update expressions from dot paths, naming every segment so reserved words never bite. */
export class UpdateExpression {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];
  private counter = 0;

  set(path: string, value: unknown): this {
    this.sets.push(`${this.name(path)} = ${this.value(value)}`);
    return this;
  }

  append(path: string, items: unknown[]): this {
    const name = this.name(path);
    this.sets.push(`${name} = list_append(${name}, ${this.value(items)})`);
    return this;
  }

  add(path: string, amount: number): this {
    this.adds.push(`${this.name(path)} ${this.value(amount)}`);
    return this;
  }

  remove(path: string): this {
    this.removes.push(this.name(path));
    return this;
  }

  /** A condition over the same name and value maps. */
  condition(build: (name: (path: string) => string, value: (v: unknown) => string) => string): string {
    return build(
      (p) => this.name(p),
      (v) => this.value(v),
    );
  }

  build() {
    const clauses = [
      this.sets.length ? `SET ${this.sets.join(", ")}` : "",
      this.removes.length ? `REMOVE ${this.removes.join(", ")}` : "",
      this.adds.length ? `ADD ${this.adds.join(", ")}` : "",
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(" "),
      ExpressionAttributeNames: this.names,
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }

  private name(path: string): string {
    return path
      .split(".")
      .map((segment) => {
        const placeholder = `#${segment.replace(/[^A-Za-z0-9_]/g, "_")}`;
        this.names[placeholder] = segment;
        return placeholder;
      })
      .join(".");
  }

  private value(value: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}
