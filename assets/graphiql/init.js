// Starts GraphiQL against this server's /graphql. Kept out of the page so that the page's
// Content-Security-Policy can forbid inline scripts.
(function () {
  'use strict';
  var defaultQuery = [
    '# plan-api: improvement plans, their actions and RAG history.',
    '#',
    '# Queries need a token (introspection does not).',
    '# Get one on the server:',
    '#   plan-api token --role viewer',
    '# (in a checkout: cargo run -- token --role viewer)',
    '# then put this in the Headers pane below and press Run:',
    '#   {"Authorization": "Bearer <token>"}',
    '',
    '{',
    '  plan(slug: "herefordshire-2012") {',
    '    title',
    '    actions(first: 5) {',
    '      totalCount',
    '      nodes { code objective rag { status } }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({
    url: new URL('/graphql', window.location.href).toString()
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      // The Headers pane is where the token goes: show it.
      defaultEditorToolsVisibility: 'headers',
      // Tokens are not kept in the browser's storage.
      shouldPersistHeaders: false
    })
  );
})();
