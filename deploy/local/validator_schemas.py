#!/usr/bin/python3
"""validator_schemas.py -- turns registry packages into the offline JSON schemas kubeconform reads (called by deploy/local/install-validators).

Usage:
  validator_schemas.py kubernetes WHEEL VERSION OUTDIR
      the strict schemas of Kubernetes VERSION (e.g. 1.33.0) from the PyPI
      wheel of kubernetes-validate, written as OUTDIR/<kind>-<group>-<version>.json
      plus OUTDIR/_definitions.json; their "$id" (https://kubernetes.io/...)
      is dropped and "$ref" made relative, so they resolve from files alone
  validator_schemas.py crd CRD_YAML OUTDIR
      a JSON schema per served version of a CustomResourceDefinition, named
      as kubeconform looks it up (<kind>-<group's first label>-<version>.json),
      strict like kubeconform's own openapi2jsonschema: objects with declared
      properties accept no others, unless x-kubernetes-preserve-unknown-fields
  validator_schemas.py extract WHEEL MEMBER OUTFILE
      one file out of a wheel (an executable shipped in it), mode 0755

Exit status: 0 done, 1 input not as expected (message on stderr), 2 usage.
"""
import json
import os
import sys
import zipfile

import yaml

K8S_PREFIX = "kubernetes_validate/kubernetes-json-schema/v{}-local-strict/"
K8S_REF = "/api/_definitions.json#"


def fail(msg):
    sys.stderr.write("validator_schemas: %s\n" % msg)
    sys.exit(1)


def relative_refs(node):
    """node with every "$ref": "/api/_definitions.json#..." made relative."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(K8S_REF):
                v = "_definitions.json#" + v[len(K8S_REF):]
            out[k] = relative_refs(v)
        return out
    if isinstance(node, list):
        return [relative_refs(v) for v in node]
    return node


def kubernetes(wheel, version, outdir):
    prefix = K8S_PREFIX.format(version)
    os.makedirs(outdir, exist_ok=True)
    count = 0
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            schema = json.loads(z.read(name))
            schema.pop("$id", None)
            path = os.path.join(outdir, name[len(prefix):])
            with open(path + ".tmp", "w") as f:
                json.dump(relative_refs(schema), f)
            os.replace(path + ".tmp", path)
            count += 1
    if count == 0 or not os.path.exists(os.path.join(outdir, "_definitions.json")):
        fail("%s holds no schemas of Kubernetes %s" % (wheel, version))
    print("%d schemas of Kubernetes %s in %s" % (count, version, outdir))


def strict(node):
    """kubeconform's strict conversion of an OpenAPI v3 CRD schema."""
    if isinstance(node, list):
        return [strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: strict(v) for k, v in node.items()}
    if node.get("x-kubernetes-int-or-string"):
        node.pop("type", None)
        node["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        node["additionalProperties"] = False
    return node


def crd(path, outdir):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
        fail("%s is not a CustomResourceDefinition" % path)
    spec = doc["spec"]
    kind = spec["names"]["kind"].lower()
    group = spec["group"].split(".")[0].lower()
    os.makedirs(outdir, exist_ok=True)
    for v in spec["versions"]:
        schema = v.get("schema", {}).get("openAPIV3Schema")
        if not v.get("served") or schema is None:
            continue
        out = os.path.join(outdir, "%s-%s-%s.json" % (kind, group, v["name"]))
        with open(out + ".tmp", "w") as f:
            json.dump(strict(schema), f)
        os.replace(out + ".tmp", out)
        print("%s %s/%s: %s" % (spec["names"]["kind"], spec["group"], v["name"], out))


def extract(wheel, member, outfile):
    with zipfile.ZipFile(wheel) as z:
        try:
            data = z.read(member)
        except KeyError:
            fail("%s has no %s" % (wheel, member))
    with open(outfile + ".tmp", "wb") as f:
        f.write(data)
    os.chmod(outfile + ".tmp", 0o755)
    os.replace(outfile + ".tmp", outfile)


def main(argv):
    if len(argv) == 5 and argv[1] == "kubernetes":
        kubernetes(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "crd":
        crd(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "extract":
        extract(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
