// @actions/workflow-parser imports its JSON schemas without an import attribute (it is built
// for bundlers); this loader hook adds `type: "json"` so that plain Node can load them.
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json")) {
    const attrs = { ...(context.importAttributes ?? {}), type: "json" };
    return nextLoad(url, { ...context, importAttributes: attrs });
  }
  return nextLoad(url, context);
}
