#!/usr/bin/env python3
"""Consistency checks for deploy/ that schema validation cannot see (run by .ci/deploy-check).

    python3 deploy/check.py                    # check; exit 1 listing every problem
    python3 deploy/check.py --write-configmap  # regenerate base/configmap.yaml and the Deployments' mounts
    python3 deploy/check.py --render-mounts DIR # lay the ConfigMap out in DIR as the pods see it

Checks:
- deploy/kubernetes/base/configmap.yaml is exactly what this script generates from facts.toml, the
  source files it names and every sources/*.txt (the editors' `factdesk source add` folder), and
  its data equals those files byte for byte (no drift); the Deployments mount each at its path
  relative to facts.toml (their `items:` lists are generated too);
- the Kubernetes manifests agree with each other and with the binary's contract: probes on
  /healthz at the port the process listens on, HTTP replicas >= 2 with --no-digest, one
  gateway replica with strategy Recreate and its state on the PVC, non-root, no privilege
  escalation, read-only root, capabilities dropped, resource requests, one image name, every
  Secret key and ConfigMap key referenced exists, the fact base's sources mounted at their
  relative paths, the Service/PDB selecting the HTTP pods, kustomization.yaml listing every
  manifest but the Secret template; deploy/kubernetes/kustomization.yaml building base/;
- the PostgreSQL overlay (deploy/kubernetes/postgres), rendered here with the subset of
  strategic merge its patches use (`kubectl kustomize`, when installed, renders the real thing
  in .ci/deploy-check): every role gets DATABASE_URL from a Secret, no PersistentVolumeClaim,
  HTTP replicas still --no-digest, exactly one process registers commands (the single
  Recreate gateway), digest workers run --no-gateway with the token and never register;
- deploy/Dockerfile: final stage non-root, HEALTHCHECK, ENTRYPOINT, fact base and sources at
  /etc/factdesk with their relative paths (the sources/ folder copied whole), nothing it copies
  excluded by .dockerignore;
- deploy/factdesk.service keeps its hardening directives.

Needs PyYAML only for checking (not for --write-configmap).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes" / "base"
POSTGRES = DEPLOY / "kubernetes" / "postgres"
FACTS = ROOT / "facts.toml"
SOURCES_DIR = "sources"  # beside facts.toml: source texts added by `factdesk source add`
DEPLOYMENTS = ("http-deployment.yaml", "gateway-deployment.yaml")  # mount the fact base
CONFIGMAP = K8S / "configmap.yaml"
CONFIGMAP_NAME = "factdesk-facts"
FACTS_DIR = "/etc/factdesk"  # where the fact base lives in the image and in the pods
STATE_DIR = "/var/lib/factdesk"
IMAGE = "factdesk"  # placeholder image name; kustomization.yaml maps it to a registry
SECRET_TEMPLATE = "secret.yaml"
RUN_AS = 10001

problems: list[str] = []
checked: list[str] = []


def fail(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def ok(what: str) -> None:
    checked.append(what)


# ── the fact base and its sources ──────────────────────────────────────────────────────────


def fact_base_files() -> list[tuple[str, str, Path]]:
    """(ConfigMap key, path relative to facts.toml, repo file) for facts.toml, the source files
    it names and every sources/*.txt (named or not yet: the whole folder ships)."""
    facts = tomllib.loads(FACTS.read_text(encoding="utf-8"))
    named = [s.get("file") for s in facts.get("sources", []) if s.get("file")]
    folder = [f"{SOURCES_DIR}/{p.name}" for p in sorted((FACTS.parent / SOURCES_DIR).glob("*.txt"))]
    files = [("facts.toml", "facts.toml", FACTS)]
    keys = {"facts.toml"}
    rels = set()
    for rel in named + folder:
        if rel.startswith("/") or ".." in Path(rel).parts:
            fail("facts.toml", f"source file {rel!r} must be a relative path below facts.toml")
            continue
        rel = Path(rel).as_posix()
        if rel in rels:
            continue
        rels.add(rel)
        key = Path(rel).name
        if key in keys:
            fail("facts.toml", f"two source files are both named {key!r}; ConfigMap keys must differ")
        keys.add(key)
        files.append((key, rel, FACTS.parent / rel))
    return files


def literal_block(text: str, indent: str) -> str:
    """`text` as a YAML literal block scalar that parses back to exactly `text`."""
    if "\t" in text or "\r" in text or any(l != l.rstrip(" ") for l in text.split("\n")):
        raise SystemExit("configmap: a file has tabs, CRs or trailing spaces; use kubectl to generate it")
    chomp = "" if text.endswith("\n") and not text.endswith("\n\n") else ("-" if not text.endswith("\n") else "+")
    indicator = "2" if text[:1] == " " else ""
    body = text[:-1] if text.endswith("\n") else text
    lines = [(indent + l) if l else "" for l in body.split("\n")]
    return f"|{indicator}{chomp}\n" + "\n".join(lines) + "\n"


def render_configmap() -> str:
    out = [
        "# GENERATED from facts.toml, the source files it names and sources/*.txt; do not edit by\n",
        "# hand. Regenerate after changing them:   python3 deploy/check.py --write-configmap\n",
        "# (equivalent: kubectl create configmap factdesk-facts --from-file=facts.toml \\\n",
        "#    --from-file=visit-article.txt=tests/fixtures/visit-article.txt \\\n",
        "#    --from-file=ID.txt=sources/ID.txt (each source text) --dry-run=client -o yaml)\n",
        "# .ci/deploy-check fails when this file and the repository's files differ.\n",
        "# The Deployments mount it with items/paths (generated with it) so that each source sits at\n",
        "# its path relative to facts.toml (e.g. /etc/factdesk/tests/fixtures/visit-article.txt,\n",
        "# /etc/factdesk/sources/ID.txt).\n",
        "apiVersion: v1\n",
        "kind: ConfigMap\n",
        "metadata:\n",
        f"  name: {CONFIGMAP_NAME}\n",
        "  labels:\n",
        "    app.kubernetes.io/name: factdesk\n",
        "data:\n",
    ]
    for key, _rel, path in fact_base_files():
        out.append(f"  {key}: " + literal_block(path.read_text(encoding="utf-8"), "    "))
    return "".join(out)


# The `items:` list under the factdesk-facts volume of a Deployment (generated).
ITEMS = re.compile(
    r"(?m)^(?P<indent> *)name: " + re.escape(CONFIGMAP_NAME) + r"\n(?:(?P=indent)#.*\n)*(?P=indent)items:\n"
    r"(?P<list>(?:(?P=indent)  .*\n)+)"
)


def render_mounts_in(text: str, where: str) -> str:
    """`text` (a Deployment) with its fact-base `items:` listing every fact_base_files() entry."""
    m = ITEMS.search(text)
    if not m:
        raise SystemExit(f"{where}: no `items:` list under the {CONFIGMAP_NAME} volume to regenerate")
    indent = m["indent"] + "  "
    items = "".join(f"{indent}- key: {key}\n{indent}  path: {rel}\n" for key, rel, _ in fact_base_files())
    return text[: m.start("list")] + items + text[m.end("list") :]


def write_mounts() -> None:
    for name in DEPLOYMENTS:
        path = K8S / name
        text = path.read_text(encoding="utf-8")
        new = render_mounts_in(text, f"kubernetes/{name}")
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")


# ── Kubernetes ─────────────────────────────────────────────────────────────────────────────


def load_manifests(yaml, directory: Path = K8S) -> dict[str, list[dict]]:
    docs: dict[str, list[dict]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            docs[path.name] = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        except yaml.YAMLError as e:
            fail(path.name, f"not valid YAML: {e}")
    return docs


def by_kind(docs: dict[str, list[dict]], kind: str) -> list[tuple[str, dict]]:
    return [(f, d) for f, ds in docs.items() for d in ds if d.get("kind") == kind]


def arg_addr(args: list[str], flag: str) -> str | None:
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def check_configmap(yaml, docs) -> None:
    expected = render_configmap()
    actual = CONFIGMAP.read_text(encoding="utf-8") if CONFIGMAP.exists() else ""
    if actual != expected:
        fail("kubernetes/configmap.yaml", "differs from facts.toml / its sources: run `python3 deploy/check.py --write-configmap`")
    cms = [d for f, d in by_kind(docs, "ConfigMap") if f == CONFIGMAP.name]
    if len(cms) != 1:
        fail("kubernetes/configmap.yaml", "must hold exactly one ConfigMap")
        return
    data = cms[0].get("data") or {}
    for key, rel, path in fact_base_files():
        if data.get(key, "").encode("utf-8") != path.read_bytes():
            fail("kubernetes/configmap.yaml", f"data[{key!r}] is not byte-for-byte {path.relative_to(ROOT)}")
    size = sum(len(v.encode()) for v in data.values())
    if size > 900 * 1024:
        fail("kubernetes/configmap.yaml", f"{size} bytes of data: too close to the 1 MiB ConfigMap limit")
    ok(f"configmap.yaml == facts.toml + {len(data) - 1} source file(s), byte for byte ({size} bytes)")


def check_kustomization(yaml, docs) -> None:
    kust = (docs.get("kustomization.yaml") or [{}])[0]
    listed = kust.get("resources") or []
    manifests = sorted(set(docs) - {"kustomization.yaml", SECRET_TEMPLATE})
    if sorted(listed) != manifests:
        fail("kubernetes/kustomization.yaml", f"resources {sorted(listed)} != manifests {manifests}")
    if SECRET_TEMPLATE in listed:
        fail("kubernetes/kustomization.yaml", "must not list the Secret template (it would overwrite the real token)")
    images = {i.get("name") for i in kust.get("images") or []}
    if IMAGE not in images:
        fail("kubernetes/kustomization.yaml", f"images: has no entry for {IMAGE!r}")
    ok(f"kustomization.yaml lists {len(listed)} manifests (all but the Secret template) and maps image {IMAGE!r}")


def check_secret(docs) -> dict[str, set[str]]:
    secrets: dict[str, set[str]] = {}
    for f, d in by_kind(docs, "Secret"):
        values = {**(d.get("stringData") or {}), **(d.get("data") or {})}
        secrets[d["metadata"]["name"]] = set(values)
        for k, v in values.items():
            if not str(v).startswith("REPLACE-ME"):
                fail(f"kubernetes/{f}", f"{k} must stay a REPLACE-ME placeholder (real secrets never go in the repo)")
    if not secrets:
        fail("kubernetes", "no Secret template")
    ok(f"Secret template(s) {sorted(secrets)} hold only placeholders")
    return secrets


def check_deployment(f: str, d: dict, role: str, secrets, configmap_keys, pvcs, postgres: bool = False) -> None:
    """One Deployment of the default layout, or of the PostgreSQL overlay (`postgres`)."""
    where = f"kubernetes/{f}"
    spec = d.get("spec") or {}
    tmpl = spec.get("template") or {}
    pod = tmpl.get("spec") or {}
    labels = (tmpl.get("metadata") or {}).get("labels") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if d.get("apiVersion") != "apps/v1":
        fail(where, "apiVersion must be apps/v1")
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        fail(where, "selector.matchLabels must be a non-empty subset of the pod labels")
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or psc.get("runAsUser", 0) == 0:
        fail(where, "pod securityContext needs runAsNonRoot: true and a non-zero runAsUser")
    if psc.get("runAsUser") != RUN_AS:
        fail(where, f"runAsUser should be the image's uid {RUN_AS}")
    if pod.get("automountServiceAccountToken") is not False:
        fail(where, "automountServiceAccountToken: false (factdesk never talks to the API server)")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    containers = pod.get("containers") or []
    every = containers + (pod.get("initContainers") or [])
    for c in every:
        cw = f"{where} container {c.get('name')}"
        if c.get("image") != IMAGE:
            fail(cw, f"image must be the placeholder {IMAGE!r} (mapped by kustomization.yaml)")
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(cw, "allowPrivilegeEscalation: false")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(cw, "readOnlyRootFilesystem: true")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            fail(cw, "capabilities.drop: [ALL]")
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if not req.get("cpu") or not req.get("memory") or not lim.get("memory"):
            fail(cw, "resources need requests.cpu, requests.memory and limits.memory")
        for env in c.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref.get("key") not in secrets.get(ref.get("name"), set()):
                fail(cw, f"env {env['name']} references {ref.get('name')}/{ref.get('key')}, not in the Secret template")
        for m in c.get("volumeMounts") or []:
            vol = volumes.get(m["name"])
            if vol is None:
                fail(cw, f"mounts undefined volume {m['name']!r}")
                continue
            if "configMap" in vol:
                check_facts_volume(cw, m, vol["configMap"], configmap_keys)
            if m["mountPath"] == STATE_DIR and role == "gateway" and not postgres:
                claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
                if claim not in pvcs:
                    fail(cw, f"{STATE_DIR} must be the PersistentVolumeClaim ({sorted(pvcs)}), not {vol}")
        mounts = {m["mountPath"] for m in c.get("volumeMounts") or []}
        if FACTS_DIR not in mounts:
            fail(cw, f"does not mount the fact base at {FACTS_DIR}")
        if c in containers and not {STATE_DIR, "/tmp"} <= mounts:
            fail(cw, f"read-only root: mount writable volumes at {STATE_DIR} and /tmp")

    if len(containers) != 1:
        fail(where, "expected exactly one (factdesk) container")
        return
    c = containers[0]
    args = [str(a) for a in c.get("args") or []]
    env = {e["name"]: e for e in c.get("env") or []}
    if args[:1] != ["serve"]:
        fail(where, f"args must start with serve, not {args}")
    if env.get("FACTDESK_FACTS", {}).get("value") != f"{FACTS_DIR}/facts.toml":
        fail(where, f"FACTDESK_FACTS must be {FACTS_DIR}/facts.toml")
    if env.get("FACTDESK_STATE_DIR", {}).get("value") != STATE_DIR:
        fail(where, f"FACTDESK_STATE_DIR must be {STATE_DIR}")
    for init in pod.get("initContainers") or []:
        if [str(a) for a in init.get("args") or []] != ["check", "--facts", f"{FACTS_DIR}/facts.toml"]:
            fail(where, f"init container {init.get('name')} should run `check --facts {FACTS_DIR}/facts.toml`")

    if postgres and (env.get("DATABASE_URL", {}).get("valueFrom") or {}).get("secretKeyRef") is None:
        fail(where, "in the PostgreSQL layout every role needs DATABASE_URL from a Secret (it holds a password)")
    if not postgres and "DATABASE_URL" in env:
        fail(where, "the default layout keeps the digest in SQLite: no DATABASE_URL (use the postgres overlay)")
    flag = "--http" if role == "http" else "--metrics"
    addr = arg_addr(args, flag)
    port = int(addr.rsplit(":", 1)[1]) if addr and ":" in addr else None
    if addr is None or not addr.startswith("0.0.0.0:"):
        fail(where, f"{flag} 0.0.0.0:PORT is needed so probes and the Service reach the process")
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
    if port not in ports.values():
        fail(where, f"containerPort {port} (from {flag}) is not declared")
    for probe in ("readinessProbe", "livenessProbe"):
        get = (c.get(probe) or {}).get("httpGet") or {}
        target = ports.get(get.get("port"), get.get("port"))
        if get.get("path") != "/healthz" or target != port:
            fail(where, f"{probe} must GET /healthz on port {port}, not {get}")

    replicas = spec.get("replicas")
    strategy = (spec.get("strategy") or {}).get("type")
    if role == "http":
        if not isinstance(replicas, int) or replicas < 2:
            fail(where, "the stateless HTTP endpoint should run 2+ replicas")
        if "--no-digest" not in args and env.get("FACTDESK_DIGEST", {}).get("value") != "false":
            fail(where, "HTTP replicas must not run the digest scheduler (--no-digest)")
        if "--register" in args:
            fail(where, "only the single gateway worker registers commands")
        if "DISCORD_TOKEN" in env:
            fail(where, "HTTP replicas need DISCORD_PUBLIC_KEY only; DISCORD_TOKEN would start a gateway per replica")
        if "DISCORD_PUBLIC_KEY" not in env:
            fail(where, "DISCORD_PUBLIC_KEY is required by --http")
        ok(f"{f}: {replicas} replicas, --http {addr}, --no-digest, probes /healthz:{port}, public key only")
    elif role == "digest":
        if not postgres:
            fail(where, "digest-only workers need the shared database (the postgres overlay)")
        if not isinstance(replicas, int) or replicas < 1:
            fail(where, "run 1+ digest workers")
        if "--no-gateway" not in args or "--no-digest" in args:
            fail(where, "a digest worker runs `serve --no-gateway` (no gateway session) with the digest on")
        if "--register" in args:
            fail(where, "only the single gateway worker registers commands")
        if "DISCORD_TOKEN" not in env:
            fail(where, "digest workers post as the bot: DISCORD_TOKEN")
        ok(f"{f}: {replicas} digest workers, --no-gateway, --metrics {addr}, probes /healthz:{port}, DATABASE_URL")
    else:
        if replicas != 1:
            fail(where, "the gateway + digest worker must be exactly one replica")
        if strategy != "Recreate":
            fail(where, "strategy must be Recreate so two gateway/digest workers never overlap")
        if "--no-digest" in args:
            fail(where, "the gateway worker is the one that runs the digest scheduler")
        if "DISCORD_TOKEN" not in env:
            fail(where, "DISCORD_TOKEN is required for the gateway")
        if psc.get("fsGroup") != RUN_AS:
            fail(where, f"fsGroup {RUN_AS} makes the PVC writable for the container user")
        state = "DATABASE_URL" if postgres else f"state on PVC {sorted(pvcs)}"
        ok(f"{f}: 1 replica, Recreate, --metrics {addr}, probes /healthz:{port}, {state}")


def check_facts_volume(cw: str, mount: dict, cm: dict, configmap_keys: set[str]) -> None:
    if cm.get("name") != CONFIGMAP_NAME:
        fail(cw, f"mounts ConfigMap {cm.get('name')!r}, expected {CONFIGMAP_NAME!r}")
    if mount["mountPath"] != FACTS_DIR or "subPath" in mount:
        fail(cw, f"mount the fact base as a directory at {FACTS_DIR} (no subPath: it would stop updates)")
    items = {i["key"]: i["path"] for i in cm.get("items") or []}
    for key in items:
        if key not in configmap_keys:
            fail(cw, f"ConfigMap item key {key!r} does not exist in configmap.yaml")
    for key, rel, _ in fact_base_files():
        if items.get(key) != rel:
            fail(cw, f"ConfigMap key {key!r} must be mounted at path {rel!r} (relative to facts.toml): run `python3 deploy/check.py --write-configmap`")


def strategic_merge(base, patch):
    """The part of kubectl's strategic merge our patches use: maps merge key by key (null
    deletes a key), lists of named items merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = strategic_merge(out[k], v) if k in out else v
        return out
    named = lambda items: all(isinstance(x, dict) and "name" in x for x in items)
    if isinstance(base, list) and isinstance(patch, list) and named(base) and named(patch):
        out = list(base)
        for item in patch:
            at = next((i for i, x in enumerate(out) if x["name"] == item["name"]), None)
            if at is None:
                out.append(item)
            else:
                out[at] = strategic_merge(out[at], item)
        return out
    return patch


def check_postgres_overlay(yaml, base: dict[str, list[dict]], secrets, configmap_keys) -> None:
    """Renders deploy/kubernetes/postgres over base/ and checks the layout it makes."""
    where = "kubernetes/postgres/kustomization.yaml"
    docs = load_manifests(yaml, POSTGRES)
    kust = (docs.pop("kustomization.yaml", None) or [{}])[0]
    patches = [p.get("path") for p in kust.get("patches") or []]
    resources = kust.get("resources") or []
    templates = {f for f, ds in docs.items() if any(d.get("kind") == "Secret" for d in ds)}
    for f, ds in docs.items():
        for d in ds:
            if d.get("kind") == "Secret":
                secrets[d["metadata"]["name"]] = set({**(d.get("stringData") or {}), **(d.get("data") or {})})
                if any(not str(v).startswith("REPLACE-ME") for v in (d.get("stringData") or {}).values()):
                    fail(f"kubernetes/postgres/{f}", "the Secret template holds placeholders only")
    if "../base" not in resources:
        fail(where, "must build on ../base")
    listed = set(patches) | set(resources) - {"../base"}
    if listed != set(docs) - templates or templates & listed:
        fail(where, f"patches + resources {sorted(listed)} != its manifests but the Secret template {sorted(set(docs) - templates)}")
    if IMAGE not in {i.get("name") for i in kust.get("images") or []}:
        fail(where, f"images: has no entry for {IMAGE!r} (the base's does not reach the digest workers)")
    rendered = {f: [dict(d) for d in ds] for f, ds in base.items() if f not in {SECRET_TEMPLATE, "kustomization.yaml"}}
    for f in patches:
        for patch in docs.get(f, []):
            key = (patch.get("kind"), (patch.get("metadata") or {}).get("name"))
            for bf, ds in rendered.items():
                for i, d in enumerate(ds):
                    if (d.get("kind"), d["metadata"]["name"]) == key:
                        ds[i] = None if patch.get("$patch") == "delete" else strategic_merge(d, patch)
    for f in resources:
        if f in docs:
            rendered[f"postgres/{f}"] = docs[f]
    rendered = {f: [d for d in ds if d] for f, ds in rendered.items()}
    if by_kind(rendered, "PersistentVolumeClaim"):
        fail(where, "the PostgreSQL layout needs no PersistentVolumeClaim (the database holds the state)")
    registering = []
    for f, d in by_kind(rendered, "Deployment"):
        role = d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        check_deployment(f"postgres: {f}", d, role, secrets, configmap_keys, set(), postgres=True)
        if "--register" in d["spec"]["template"]["spec"]["containers"][0].get("args", []):
            registering.append((f, d["spec"].get("replicas")))
    if [r for _, r in registering] != [1]:
        fail(where, f"exactly one single-replica Deployment registers commands, not {registering}")
    roles = sorted(d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") for _, d in by_kind(rendered, "Deployment"))
    if roles != ["digest", "gateway", "http"]:
        fail(where, f"expected http, gateway and digest Deployments, got {roles}")
    ok(f"postgres overlay: {', '.join(roles)} with DATABASE_URL, no PVC, commands registered by one process")


def check_kubernetes() -> None:
    import yaml

    top = (yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8")) or {})
    if top.get("resources") != ["base"]:
        fail("kubernetes/kustomization.yaml", "must build base/ (the default layout), nothing else")
    docs = load_manifests(yaml)
    check_configmap(yaml, docs)
    check_kustomization(yaml, docs)
    secrets = check_secret(docs)
    configmap_keys = {k for _, d in by_kind(docs, "ConfigMap") for k in (d.get("data") or {})}
    pvcs = {d["metadata"]["name"] for _, d in by_kind(docs, "PersistentVolumeClaim")}
    roles = {}
    for f, d in by_kind(docs, "Deployment"):
        role = ((d.get("spec") or {}).get("template", {}).get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component")
        if role not in ("http", "gateway"):
            fail(f"kubernetes/{f}", "pod label app.kubernetes.io/component must be http or gateway (digest workers only in the postgres overlay)")
            continue
        roles[role] = d
        check_deployment(f, d, role, secrets, configmap_keys, pvcs)
    for role in ("http", "gateway"):
        if role not in roles:
            fail("kubernetes", f"no {role} Deployment")
    http_labels = (roles.get("http") or {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    gw_labels = (roles.get("gateway") or {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    http_ports = {p.get("name"): p.get("containerPort") for c in (roles.get("http") or {}).get("spec", {}).get("template", {}).get("spec", {}).get("containers", []) for p in c.get("ports") or []}
    for f, svc in by_kind(docs, "Service"):
        sel = (svc.get("spec") or {}).get("selector") or {}
        if not sel or any(http_labels.get(k) != v for k, v in sel.items()):
            fail(f"kubernetes/{f}", "Service selector must select the HTTP pods")
        if sel and all(gw_labels.get(k) == v for k, v in sel.items()):
            fail(f"kubernetes/{f}", "Service selector also selects the gateway pod")
        for p in (svc.get("spec") or {}).get("ports") or []:
            t = p.get("targetPort")
            if t not in http_ports and t not in http_ports.values():
                fail(f"kubernetes/{f}", f"targetPort {t!r} is not a port of the HTTP container")
        ok(f"{f}: selects only the HTTP pods, targetPort exists")
    for f, pdb in by_kind(docs, "PodDisruptionBudget"):
        sel = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not sel or any(http_labels.get(k) != v for k, v in sel.items()):
            fail(f"kubernetes/{f}", "PodDisruptionBudget must select the HTTP pods")
        ok(f"{f}: selects the HTTP pods")
    check_postgres_overlay(yaml, docs, secrets, configmap_keys)


# ── Dockerfile ─────────────────────────────────────────────────────────────────────────────


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("#")))
    out = []
    for line in joined.split("\n"):
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for p in patterns:
        neg = p.startswith("!")
        p = p[1:] if neg else p
        p = p.strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(pre, p) or fnmatch.fnmatch(pre, p.replace("**/", "")) for pre in prefixes):
            ignored = not neg
    return ignored


def check_dockerfile() -> None:
    where = "Dockerfile"
    ins = dockerfile_instructions((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    stages = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
    if len(stages) < 2:
        fail(where, "expected a multi-stage build (builder + runtime)")
        return
    build, final = ins[stages[0] : stages[-1]], ins[stages[-1] :]
    if not any(w == "RUN" and "cargo build --release --locked" in r for w, r in build):
        fail(where, "the builder must run `cargo build --release --locked`")
    if not any(w == "RUN" and "--features postgres" in r for w, r in build):
        fail(where, "the image (and so the Kubernetes layouts) must be built with --features postgres")
    users = [r for w, r in final if w == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root") or not users[-1].split(":")[0].isdigit():
        fail(where, "the runtime stage must end as a numeric non-root USER (runAsNonRoot can verify it)")
    elif int(users[-1].split(":")[0]) != RUN_AS:
        fail(where, f"USER should be {RUN_AS} (the manifests' runAsUser)")
    words = {w for w, _ in final}
    for needed in ("HEALTHCHECK", "ENTRYPOINT", "CMD", "EXPOSE", "STOPSIGNAL", "VOLUME", "WORKDIR"):
        if needed not in words:
            fail(where, f"the runtime stage has no {needed}")
    if not any(w == "HEALTHCHECK" and "healthcheck" in r for w, r in final):
        fail(where, "HEALTHCHECK must run the bundled health check")
    if not any(w == "ENTRYPOINT" and "factdesk" in r for w, r in final):
        fail(where, "ENTRYPOINT must be factdesk")
    if not any(w == "EXPOSE" and "8080" in r.split() for w, r in final):
        fail(where, "EXPOSE 8080 (the port HEALTHCHECK probes)")
    env = " ".join(r for w, r in final if w == "ENV")
    for want in (f"FACTDESK_FACTS={FACTS_DIR}/facts.toml", f"FACTDESK_STATE_DIR={STATE_DIR}"):
        if want not in env:
            fail(where, f"ENV {want}")
    copies = []
    for w, r in ins:
        if w == "COPY" and "--from=" not in r:
            parts = [p for p in shlex.split(r) if not p.startswith("--")]
            copies.append((parts[:-1], parts[-1]))
    folder = f"{FACTS_DIR}/{SOURCES_DIR}"
    folder_copied = any(
        any(s.rstrip("/") == SOURCES_DIR for s in srcs) and dest.rstrip("/") == folder for srcs, dest in copies
    )
    if not folder_copied:
        fail(where, f"must COPY {SOURCES_DIR}/ to {folder}/ (the source texts `factdesk source add` writes)")
    for key, rel, _ in fact_base_files():
        in_folder = folder_copied and Path(rel).parent.as_posix() == SOURCES_DIR
        if not in_folder and not any(rel in srcs and dest == f"{FACTS_DIR}/{rel}" for srcs, dest in copies):
            fail(where, f"must COPY {rel} to {FACTS_DIR}/{rel} (same path relative to facts.toml)")
    ignore = ROOT / ".dockerignore"
    patterns = [l.strip() for l in ignore.read_text().splitlines() if l.strip() and not l.startswith("#")] if ignore.exists() else []
    if not ignore.exists():
        fail(".dockerignore", "missing: target/ and .git would be sent as build context")
    for must_ignore in ("target", ".git", "state"):
        if not dockerignored(must_ignore, patterns):
            fail(".dockerignore", f"should exclude {must_ignore}/")
    needed = [s for srcs, _ in copies for s in srcs if s != "."]
    needed += ["Cargo.toml", "Cargo.lock", "src/main.rs", "benches", "facts.toml"]
    for path in needed:
        if not (ROOT / path).exists():
            fail(where, f"copies {path}, which does not exist")
        if dockerignored(path, patterns):
            fail(".dockerignore", f"excludes {path}, which the build needs")
    ok(f"Dockerfile: {len(stages)} stages, USER {users[-1] if users else '?'}, HEALTHCHECK, fact base + sources at {FACTS_DIR}; .dockerignore keeps what the build copies")


# ── systemd ────────────────────────────────────────────────────────────────────────────────

UNIT_REQUIRED = {
    "DynamicUser": "yes",
    "StateDirectory": "factdesk",
    "ConfigurationDirectory": "factdesk",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "Restart": "on-failure",
    "RestartSec": "5",
    "TimeoutStopSec": "30",
    "KillSignal": "SIGTERM",
    "ExecReload": "/bin/kill -HUP $MAINPID",
    "ExecStart": "/usr/local/bin/factdesk serve",
}


def check_unit() -> None:
    where = "factdesk.service"
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "factdesk.service").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, _, v = line.partition("=")
            values.setdefault(k.strip(), []).append(v.strip())
    for k, v in UNIT_REQUIRED.items():
        if v not in values.get(k, []):
            fail(where, f"{k}={v} is required (found {values.get(k)})")
    if "@system-service" not in values.get("SystemCallFilter", []):
        fail(where, "SystemCallFilter=@system-service is required")
    if not any(v.startswith("/usr/local/bin/factdesk check") for v in values.get("ExecStartPre", [])):
        fail(where, "ExecStartPre must run `factdesk check` on the fact base")
    envs = " ".join(values.get("Environment", []))
    if "FACTDESK_STATE_DIR=%S/factdesk" not in envs or "FACTDESK_FACTS=" not in envs:
        fail(where, "Environment must set FACTDESK_STATE_DIR=%S/factdesk and FACTDESK_FACTS")
    if not any(v.startswith("-") and v.endswith("/factdesk/env") for v in values.get("EnvironmentFile", [])):
        fail(where, "EnvironmentFile=-/etc/factdesk/env (optional) is where the secrets go")
    ok(f"factdesk.service: {len(UNIT_REQUIRED) + 4} required directives present")


def render_mounts(target: Path) -> None:
    """Writes the ConfigMap's data into `target` as the HTTP Deployment's items/paths lay it out."""
    import yaml

    data = yaml.safe_load(CONFIGMAP.read_text(encoding="utf-8"))["data"]
    dep = yaml.safe_load((K8S / "http-deployment.yaml").read_text(encoding="utf-8"))
    for vol in dep["spec"]["template"]["spec"]["volumes"]:
        for item in (vol.get("configMap") or {}).get("items") or []:
            out = target / item["path"]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data[item["key"]].encode("utf-8"))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--render-mounts":
        render_mounts(Path(sys.argv[2]))
        return 0
    if sys.argv[1:] == ["--write-configmap"]:
        CONFIGMAP.write_text(render_configmap(), encoding="utf-8")
        print(f"wrote {CONFIGMAP.relative_to(ROOT)}")
        write_mounts()
        for line in problems:
            print(f"  FAIL {line}")
        return 1 if problems else 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    check_kubernetes()
    check_dockerfile()
    check_unit()
    for line in checked:
        print(f"  ok  {line}")
    for line in problems:
        print(f"  FAIL {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
