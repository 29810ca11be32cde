/** A request header as one string: repeated fields joined with `, `, as fetch's `Headers` reads them. */
export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}
