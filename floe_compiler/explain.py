"""`floe explain CODE`: what each diagnostic code means, a mistake that triggers it, the fix,
and the version that introduced it (as `ruff rule CODE` does for ruff's rules).

The title and the default hint live with the code in `diagnostics.CODES`; this module holds
the longer text, so that the validator's import path never loads it.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from floe_compiler.diagnostics import CODES, Severity, did_you_mean, severity_of

# Where the rendered pages live: `floe explain --format markdown` writes docs/codes.md.
DOCS_PAGE = "docs/codes.md"


@dataclass(frozen=True)
class Explanation:
    meaning: str
    example: str  # a YAML (or shell) excerpt that triggers the code
    fix: str      # the same excerpt corrected, or what to do
    since: str = "0.1.0"


def _x(meaning: str, example: str, fix: str, since: str = "0.1.0") -> Explanation:
    return Explanation(" ".join(meaning.split()), textwrap.dedent(example).strip("\n"),
                       textwrap.dedent(fix).strip("\n"), since)


EXPLANATIONS: dict[str, Explanation] = {
    "FLOE-E001": _x(
        "The file could not be opened or read at all: it does not exist, is a directory, or "
        "permissions forbid it. Nothing else can be checked, so the exit status is 2.",
        "$ floe validate flo.yaml", "$ floe validate floe.yaml"),
    "FLOE-E002": _x(
        "The file is not UTF-8 text. floe reads YAML as UTF-8 only, as floe-core does; "
        "UTF-16 and UTF-32 files are named as such.",
        "a floe.yaml saved as Latin-1 with `owner: équipe@acme.com`",
        "Save the file as UTF-8 (a UTF-8 byte-order mark is accepted)."),
    "FLOE-E003": _x(
        "The YAML syntax is broken at the marked position (an unclosed quote or bracket, a "
        "bad indentation, a tab used for indentation).",
        """
        metadata:
          name: "orders
        """,
        """
        metadata:
          name: "orders"
        """),
    "FLOE-E004": _x(
        "The file holds no YAML content (empty, or only comments).",
        "# TODO: describe the product", """
        apiVersion: floe.dev/v1
        kind: FloeSpec
        metadata: {name: orders, version: 1.0.0, owner: data@acme.com}
        transforms: [{name: stg_orders}]
        """),
    "FLOE-E005": _x(
        "The document, or a value that must hold keys, is not a mapping.",
        "- name: orders", """
        metadata:
          name: orders
        """),
    "FLOE-E006": _x(
        "A key appears twice in the same mapping. YAML keeps only the last one, so the first "
        "value would silently disappear.",
        """
        metadata:
          name: orders
          name: orders-v2
        """,
        """
        metadata:
          name: orders-v2
        """),
    "FLOE-E007": _x(
        "The file uses a YAML tag such as `!!python/object` or a custom `!tag`. floe reads "
        "plain data only; tags could make a loader build objects.",
        "owner: !!python/object:os.system data@acme.com", "owner: data@acme.com"),
    "FLOE-E008": _x(
        "The file holds more than one YAML document (separated by `---`). floe.yaml and "
        "manifest.yaml each hold one.",
        """
        kind: FloeSpec
        ---
        kind: Manifest
        """,
        "Put each document in its own file."),
    "FLOE-E009": _x(
        "The file is larger than `--max-bytes` (1 MiB by default). The limit bounds the time "
        "and memory a single file can take.",
        "$ floe validate huge/floe.yaml",
        "$ floe validate --max-bytes 4194304 huge/floe.yaml"),
    "FLOE-E010": _x(
        "The file's kind cannot be told: it has no `kind:` (or an unknown one) and its name is "
        "neither floe.yaml nor manifest.yaml.",
        "kind: Floespec", "kind: FloeSpec"),
    "FLOE-E011": _x(
        "The document is nested deeper than floe accepts, or YAML aliases expand to too many "
        "nodes (a 'billion laughs' document).",
        """
        a: &a [x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        """,
        "Write the data out; aliases must not multiply it."),
    "FLOE-E012": _x(
        "The file is binary, or contains control characters that no YAML text holds.",
        "$ floe validate logo.png", "Check the path: it should name a YAML file."),
    "FLOE-W111": _x(
        "A plain (unquoted) value that YAML 1.1 and YAML 1.2 read as different types. floe-core "
        "reads YAML 1.1 (PyYAML), where `yes`, `no`, `on` and `off` are booleans, `010` is "
        "octal 8, `12:30` is the number 750 and `2024-01-31` a date; editors read YAML 1.2, "
        "where they are text or other numbers. floe judges the value as floe-core will see "
        "it, and warns because the two tools disagree about what the file says.",
        """
        labels:
          reviewed: yes
          window: 12:30
        """,
        """
        labels:
          reviewed: "yes"
          window: "12:30"
        """, since="0.2.0"),
    "FLOE-E101": _x(
        "A required field is missing. The diagnostic points at the mapping that should hold it.",
        """
        metadata:
          name: orders
          owner: data@acme.com
        """,
        """
        metadata:
          name: orders
          version: 1.0.0
          owner: data@acme.com
        """),
    "FLOE-E102": _x(
        "A key that the format does not define. Most often a typo: the hint suggests the "
        "closest allowed key and lists the others.",
        """
        transforms:
          - name: mart_orders
            depends_on: [stg_orders]
        """,
        """
        transforms:
          - name: mart_orders
            dependsOn: [stg_orders]
        """),
    "FLOE-E103": _x(
        "A value has the wrong type: a string where a list is expected, a number where a "
        "mapping is expected, and so on; or a mapping key that YAML reads as a number or "
        "boolean where text is required (`labels: {1: x}`).",
        """
        transforms:
          - name: mart_orders
            dependsOn: stg_orders
        """,
        """
        transforms:
          - name: mart_orders
            dependsOn: [stg_orders]
        """),
    "FLOE-E104": _x(
        "A value has the right type but breaks a constraint: a pattern, a length or a range.",
        """
        metadata:
          version: "1.0"
        """,
        """
        metadata:
          version: "1.0.0"
        """),
    "FLOE-E105": _x(
        "A value is not among the allowed ones (an enumeration such as `tier` or `scope`).",
        """
        transforms:
          - name: stg_orders
            tier: platinum
        """,
        """
        transforms:
          - name: stg_orders
            tier: gold
        """),
    "FLOE-E106": _x(
        "floe.yaml is environment-agnostic: the same file runs in dev, staging and production. "
        "Hosts, ports, database names and similar belong to the platform manifest or to a "
        "Kubernetes Secret. A manifest has no per-environment sections at its top level "
        "(`prod:`, `environments:`) either, as floe-core rules.",
        """
        destinations:
          - name: crm-sync
            sink_type: rest_api
            connection_secret_ref: crm-credentials
            source_table: gold.customers
            config:
              host: crm.internal.acme.com
        """,
        """
        destinations:
          - name: crm-sync
            sink_type: rest_api
            connection_secret_ref: crm-credentials   # the Secret holds base_url
            source_table: gold.customers
        """),
    "FLOE-E107": _x(
        "`connection_secret_ref` must name a Kubernetes Secret: lowercase letters, digits and "
        "'-', starting and ending with a letter or digit, at most 253 characters.",
        "connection_secret_ref: CRM_Credentials", "connection_secret_ref: crm-credentials"),
    "FLOE-E108": _x(
        "Two transforms, or two destinations, share a name. Names identify models, edges and "
        "delivery state, so they must be unique within their list.",
        """
        transforms:
          - name: stg_orders
          - name: stg_orders
        """,
        """
        transforms:
          - name: stg_orders
          - name: stg_orders_v2
        """),
    "FLOE-E109": _x(
        "The file names a local JSON Schema in its `# yaml-language-server: $schema=` "
        "modeline, and does not match it. floe checks what the editor checks.",
        "# yaml-language-server: $schema=./team-rules.schema.json",
        "Fix the value, or the schema the modeline names."),
    "FLOE-W110": _x(
        "The modeline names a schema that cannot be used: it is missing, not JSON, or not a "
        "valid JSON Schema. The file is still checked by floe's own rules.",
        "# yaml-language-server: $schema=./missing.schema.json",
        "# yaml-language-server: $schema=../../schemas/floe-spec.schema.json"),
    "FLOE-E120": _x(
        "The manifest's keys do not fit its `scope`, as floe-core's scope rules require: an "
        "enterprise manifest (or one without scope) has no `parent_manifest`; a domain "
        "manifest must name its `parent_manifest`; `approved_plugins` and `approved_sinks` "
        "belong to `scope: enterprise`, `approved_products` to `scope: domain`.",
        """
        metadata: {name: acme-platform, version: 1.0.0, owner: platform@acme.com}
        approved_sinks: [sql_database]
        """,
        """
        metadata: {name: acme-platform, version: 1.0.0, owner: platform@acme.com}
        scope: enterprise
        approved_sinks: [sql_database]
        """, since="0.2.0"),
    "FLOE-W121": _x(
        "A key is written as floe-core's Python field name rather than the file's canonical "
        "key. floe-core accepts both, so floe does too, but editors and the JSON Schema know "
        "only the canonical one.",
        """
        transforms:
          - name: mart_orders
            depends_on: [stg_orders]
        """,
        """
        transforms:
          - name: mart_orders
            dependsOn: [stg_orders]
        """, since="0.2.0"),
    "FLOE-W122": _x(
        "A top-level key of the manifest that the format does not define. floe-core ignores "
        "such keys, so this is a warning; it is most often a typo, which the hint names.",
        "aproved_sinks: [sql_database]", "approved_sinks: [sql_database]", since="0.2.0"),
    "FLOE-E201": _x(
        "A destination's `sink_type` is not in the manifest's `approved_sinks`. The platform "
        "team decides where data may leave the platform. Raised as `SinkWhitelistError`.",
        """
        # manifest.yaml: approved_sinks: [sql_database]
        destinations:
          - name: crm-sync
            sink_type: rest_api
        """,
        "Use an approved sink, or ask the platform team to add it to `approved_sinks`."),
    "FLOE-E202": _x(
        "A plugin is not in `approved_plugins` for its category: one of the manifest's own "
        "plugins, or a compute choice in floe.yaml. Raised as `PluginWhitelistError`.",
        """
        # manifest.yaml: approved_plugins: {compute: [duckdb]}
        transforms:
          - name: big_join
            compute: spark
        """,
        "Use an approved plugin, or ask the platform team to approve it."),
    "FLOE-E203": _x(
        "A literal credential (password, token, secret, key) is written in floe.yaml. "
        "floe.yaml is committed; credentials belong in a Kubernetes Secret. The value is "
        "never printed.",
        """
        config:
          api_token: sk-live-...
        """,
        """
        connection_secret_ref: crm-credentials   # the Secret holds the token
        """),
    "FLOE-W202": _x(
        "`validate` did not read the manifest that floe.yaml names (or that was found beside "
        "it) because it lies outside the repository, so the rules across floe.yaml and its "
        "manifest were not checked. floe never opens files outside the repository on a "
        "file's say-so: only an explicit --manifest or FLOE_MANIFEST can name one.",
        """
        platform:
          manifest: ../../../../etc/passwd
        """,
        "$ floe validate --manifest ../platform/manifest.yaml floe.yaml", since="0.2.0"),
    "FLOE-W204": _x(
        "`dependsOn` names something that floe.yaml does not define as a transform. It may be "
        "a dbt model or source defined outside floe.yaml, as floe-core allows, so this is a "
        "warning (an error with --strict); the hint suggests the closest transform name.",
        """
        transforms:
          - name: mart_orders
            dependsOn: [stg_order]
        """,
        """
        transforms:
          - name: mart_orders
            dependsOn: [stg_orders]
        """, since="0.2.0"),
    "FLOE-W210": _x(
        "No installed sink connector serves the destination's `sink_type`: not floe's "
        "built-ins (`sql_database`, `rest_api`), no `floe.sinks` plugin, and, when floe-core "
        "is installed, no floe-core connector (`floe.sinks` or `floe.ingestion`, such as "
        "floe-ingestion-dlt's). `floe run` would refuse the destination. It is a warning (an "
        "error with --strict), since the machine that runs `floe run` may have more plugins "
        "than the one that compiles; the hint suggests the closest installed type. The "
        "artifact's `sink_connectors` records which connector served each type.",
        """
        destinations:
          - name: crm
            sink_type: sql_databse
            connection_secret_ref: crm-db
        """,
        """
        destinations:
          - name: crm
            sink_type: sql_database
            connection_secret_ref: crm-db
        """, since="0.2.0"),
    "FLOE-E205": _x(
        "The transforms depend on each other in a cycle, so no run order exists. The message "
        "shows the whole path of the cycle.",
        """
        transforms:
          - name: a
            dependsOn: [b]
          - name: b
            dependsOn: [a]
        """,
        "Remove one edge of the cycle."),
    "FLOE-E206": _x(
        "The platform manifest cannot be used: floe.yaml has no `platform.manifest`, it names "
        "a missing file, a remote (`oci://`) reference that floe does not fetch, or a file "
        "outside the repository (which `compile` never opens unless --manifest names it).",
        """
        platform:
          manifest: oci://registry.acme.com/platform/manifest:1.0
        """,
        "$ floe compile --manifest platform/manifest.yaml"),
    "FLOE-E207": _x(
        "A manifest was passed where a floe.yaml is expected, or the other way round.",
        "$ floe compile --spec manifest.yaml --manifest floe.yaml",
        "$ floe compile --spec floe.yaml --manifest manifest.yaml"),
    "FLOE-E208": _x(
        "`floe compile --check` found the committed artifact missing, or saying something "
        "other than a fresh compile: floe.yaml or the manifest changed in meaning since it was "
        "written. The message lists what differs (transforms or destinations added, removed "
        "or changed; governance, plugins, schedule changed). A comment or layout edit of the "
        "inputs does not make it stale.",
        "$ floe compile --check", "$ floe compile && git add target/compiled_artifacts.json"),
    "FLOE-E211": _x(
        "A destination's `config.mode` is not one floe knows (insert, upsert, update, "
        "mirror), or one its sink type cannot perform. `mirror` deletes at the destination "
        "the keys that left the source, so it needs a connector that can delete: "
        "`sql_database` can, `rest_api` cannot. A plugin lists its modes in `sync_modes`.",
        """
        destinations:
          - name: crm
            sink_type: rest_api
            config: {mode: mirror, primary_key: [id]}
        """,
        """
        destinations:
          - name: crm
            sink_type: rest_api
            config: {mode: upsert, primary_key: [id]}
        """, since="0.2.0"),
    "FLOE-E212": _x(
        "Modes upsert, update and mirror send rows by key: which rows were added, changed or "
        "deleted since the last sync is decided by `config.primary_key`, the destination "
        "column(s) that identify a row.",
        """
        config:
          mode: upsert
        """,
        """
        config:
          mode: upsert
          primary_key: [customer_id]
        """, since="0.2.0"),
    "FLOE-E301": _x(
        "A Jinja template in a value cannot be parsed or fails when rendered.",
        "owner: \"{{ env_var('OWNER' }}\"", "owner: \"{{ env_var('OWNER') }}\""),
    "FLOE-E302": _x(
        "A template reads a variable that is not defined: an environment variable that is not "
        "set, or a `var()` not given with `--vars`, and no default.",
        "batch_size: \"{{ var('batch_size') }}\"", "batch_size: \"{{ var('batch_size', 500) }}\""),
    "FLOE-E303": _x(
        "A template does something the sandbox forbids: calling anything but `env_var()` and "
        "`var()`, loops, `{% set %}`, includes, private attributes.",
        "name: \"{{ ''.__class__ }}\"", "name: \"{{ var('name') }}\""),
    "FLOE-E304": _x(
        "A value read from a secret-looking variable (`*_TOKEN`, `*_PASSWORD`, ...) is used "
        "outside `connection_secret_ref`. It would end up in the compiled artifact. The value "
        "is never printed.",
        "owner: \"{{ env_var('CRM_TOKEN') }}\"",
        "connection_secret_ref: \"{{ env_var('CRM_SECRET_NAME') }}\""),
    "FLOE-W201": _x(
        "The manifest holds a plaintext credential. Acceptable for a local demo, never for a "
        "shared platform: an error with `--strict`. The value is never printed.",
        """
        plugins:
          catalog:
            config:
              client_secret: demo-secret
        """,
        "Reference a Kubernetes Secret instead of writing the value."),
}


def normalise(text: str) -> str:
    """`e101`, `E101`, `floe-e101` all name FLOE-E101."""
    code = text.strip().upper()
    return code if code.startswith("FLOE-") else f"FLOE-{code}"


def lookup(text: str) -> tuple[str | None, str | None]:
    """(the code, None), or (None, the closest known code or None)."""
    code = normalise(text)
    if code in CODES:
        return code, None
    return None, did_you_mean(code, CODES)


def as_dict(code: str) -> dict[str, str]:
    entry, more = CODES[code], EXPLANATIONS[code]
    return {"code": code, "title": entry.title, "severity": severity_of(code).value,
            "meaning": more.meaning, "example": more.example, "fix": more.fix,
            "hint": entry.hint, "since": more.since}


def render_text(code: str) -> str:
    doc = as_dict(code)
    default = ("warning (an error with --strict)" if doc["severity"] == Severity.WARNING
               else "error")
    return "\n".join([
        f"{code}: {doc['title']}", "",
        f"Severity: {default}. Since floe-compiler {doc['since']}.", "",
        *textwrap.wrap(doc["meaning"], 88), "",
        "Example of the mistake:", textwrap.indent(doc["example"], "    "), "",
        "Fix:", textwrap.indent(doc["fix"], "    "), "",
        f"Hint printed with it: {doc['hint']}", ""])


def render_markdown() -> str:
    """The page `DOCS_PAGE`: every code, with an anchor per code for links."""
    out = ["# Diagnostic codes", "",
           "Generated by `floe explain --format markdown`; `floe explain CODE` prints one.", ""]
    for code in CODES:
        doc = as_dict(code)
        out += [f"## {code}", "", f"**{doc['title']}** ({doc['severity']}, since "
                f"{doc['since']})", "", doc["meaning"], "", "Example of the mistake:", "",
                "```yaml", doc["example"], "```", "", "Fix:", "", "```yaml", doc["fix"], "```",
                "", f"Hint: {doc['hint']}", ""]
    return "\n".join(out)


def render_json(codes: list[str]) -> str:
    return json.dumps([as_dict(code) for code in codes], indent=2) + "\n"
