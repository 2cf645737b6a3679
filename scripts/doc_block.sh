# Sourced by the scripts that regenerate parts of the docs.
# replace_doc_block DOC NAME FILE: replaces the lines between "<!-- BEGIN generated NAME -->" and
# "<!-- END generated NAME -->" in DOC with FILE's text in a code fence; fails, changing nothing,
# when either marker line is missing.
replace_doc_block() {
  local doc="$1" name="$2" file="$3" marker
  for marker in BEGIN END; do
    if ! grep -qxF "<!-- $marker generated $name -->" "$doc"; then
      echo "replace_doc_block: $doc has no line '<!-- $marker generated $name -->'" >&2
      return 1
    fi
  done
  awk -v file="$file" -v begin="<!-- BEGIN generated $name -->" -v end="<!-- END generated $name -->" '
    $0 == begin { print; print "```"; while ((getline l < file) > 0) print l; print "```"; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }
  ' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
}
