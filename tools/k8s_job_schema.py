"""Writes framework/tests/fixtures/k8s/job-batch-v1.schema.json: the JSON
schema of a Kubernetes batch/v1 Job (Kubernetes 1.30, strict: unknown fields
are errors), standalone, from the schemas the PyPI package
`kubernetes-validate` ships (generated from Kubernetes' OpenAPI document).

Only the definitions a Job reaches are kept, and descriptions are dropped,
so the fixture stays small. `mer submit k8s`'s manifests are validated
against it in framework/tests/k8s.rs.

    pip install kubernetes-validate==1.37.0
    python3 tools/k8s_job_schema.py
"""
import json
import os
import sys

import kubernetes_validate

VERSION = "v1.30.0-local-strict"
ROOT = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema", VERSION)
OUT = os.path.join(os.path.dirname(__file__), "..", "framework", "tests", "fixtures", "k8s",
                   "job-batch-v1.schema.json")
PREFIX = "/api/_definitions.json#/$defs/"


def main():
    with open(os.path.join(ROOT, "job-batch-v1.json")) as f:
        job = json.load(f)
    with open(os.path.join(ROOT, "_definitions.json")) as f:
        defs = json.load(f)["$defs"]
    keep = {}

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "description":
                    continue
                if k == "$ref" and isinstance(v, str):
                    if v.startswith(PREFIX):
                        name = v[len(PREFIX):]
                    elif v.startswith("#/$defs/"):  # inside _definitions.json
                        name = v[len("#/$defs/"):]
                    else:
                        sys.exit(f"unexpected $ref {v}")
                    if name not in keep:
                        keep[name] = None  # placeholder against cycles
                        keep[name] = walk(defs[name])
                    out[k] = "#/$defs/" + name
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    schema = walk(job)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$comment"] = (f"Kubernetes {VERSION} batch/v1 Job, from kubernetes-validate "
                          f"{kubernetes_validate.__version__}; written by tools/k8s_job_schema.py")
    schema["$defs"] = dict(sorted(keep.items()))
    with open(OUT, "w") as f:
        json.dump(schema, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{OUT}: {len(keep)} definitions, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
