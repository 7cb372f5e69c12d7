#!/usr/bin/env bash
# Copies Swagger UI's static files from the npm package swagger-ui-dist into
# frontend/docs/vendor/, which is committed so that /docs works offline and on a
# machine without Node. Run it again (with a new VERSION) to upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:-5.35.0}"
DEST=frontend/docs/vendor
FILES=(swagger-ui.css swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt favicon-16x16.png favicon-32x32.png LICENSE NOTICE)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tar -xzf "$work"/swagger-ui-dist-*.tgz -C "$work"

rm -rf "$DEST"
mkdir -p "$DEST"
for file in "${FILES[@]}"; do
    cp "$work/package/$file" "$DEST/"
done
cat > "$DEST/README.md" <<NOTE
Swagger UI $VERSION, copied from the npm package \`swagger-ui-dist\` by
\`scripts/vendor-swagger-ui.sh\`; do not edit by hand. Licensed under the
Apache License 2.0 (see LICENSE and NOTICE; the bundled
libraries' licenses are in swagger-ui-bundle.js.LICENSE.txt).
NOTE
echo "Swagger UI $VERSION is in $DEST"
