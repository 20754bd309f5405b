#!/usr/bin/env bash
# Refreshes the GraphiQL page's third-party assets under assets/graphiql/ from the npm registry
# (`npm pack`: the published tarballs, no install scripts run). Pinned versions: change them
# here, run this, check the page (`.ci/run` opens it in headless Chromium), commit the result.
#
#   scripts/refresh-graphiql.sh
#
# GraphiQL 4 is the last major version with a UMD build (5 is ESM with Monaco workers), and
# React 18 the last with UMD builds; both are production builds.
set -euo pipefail
GRAPHIQL_VERSION=4.1.2
REACT_VERSION=18.3.1

cd "$(dirname "$0")/.."
out=assets/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for pkg in "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION"; do
  (cd "$work" && npm pack --silent "$pkg" >/dev/null)
done
for t in "$work"/*.tgz; do
  mkdir -p "${t%.tgz}"
  tar -xzf "$t" -C "${t%.tgz}"
done

cp "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" "$out/graphiql.min.js"
cp "$work/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" "$out/graphiql.min.css"
cp "$work/graphiql-$GRAPHIQL_VERSION/package/LICENSE" "$out/LICENSE.graphiql"
cp "$work/react-$REACT_VERSION/package/umd/react.production.min.js" "$out/react.production.min.js"
cp "$work/react-$REACT_VERSION/package/LICENSE" "$out/LICENSE.react"
cp "$work/react-dom-$REACT_VERSION/package/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
# Source maps are not shipped: drop the comments that point at them.
sed -i '/^\/\/# sourceMappingURL=/d; s#/\*\# sourceMappingURL=[^*]*\*/##' \
  "$out/graphiql.min.js" "$out/graphiql.min.css" "$out/react.production.min.js" "$out/react-dom.production.min.js"

# The page must load nothing from another host: fail on any URL a browser would fetch.
if grep -Eo "(@import|url\()[^)]*https?://" "$out"/*.css; then
  echo "refresh-graphiql: the CSS fetches from another host; fix before committing" >&2
  exit 1
fi
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL_VERSION" "$REACT_VERSION" "$REACT_VERSION" > "$out/VERSIONS"
( cd "$out" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js > SHA256SUMS )
echo "assets/graphiql: graphiql $GRAPHIQL_VERSION, react $REACT_VERSION"
ls -l "$out"
