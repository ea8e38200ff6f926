/*
 * Starts GraphiQL (vendored, see README.md beside this file) on this server's /graphql.
 * The editor opens on window.PRICING_GRAPH_DEFAULT_QUERY (the README's pricing-page query,
 * set by the page's one inline script, allowed by its hash in the page's CSP), or on
 * ?query=... from a shared link; edits are kept in the URL.
 */
(() => {
  "use strict";

  const url = new URL(window.location.href);
  const fetchUrl = url.origin + url.pathname;
  const defaultQuery = window.PRICING_GRAPH_DEFAULT_QUERY;
  const shared = url.searchParams;

  function remember(name, value) {
    const next = new URL(window.location.href);
    if (value) next.searchParams.set(name, value);
    else next.searchParams.delete(name);
    window.history.replaceState(null, "", next);
  }

  const fetcher = GraphiQL.createFetcher({ url: fetchUrl });

  function App() {
    return React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      query: shared.get("query") || defaultQuery,
      variables: shared.get("variables") || undefined,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      onEditQuery: (query) => remember("query", query === defaultQuery ? "" : query),
      onEditVariables: (variables) => remember("variables", variables),
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
