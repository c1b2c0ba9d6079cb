"""Checks Kubernetes manifests without a cluster: each file parses as YAML, and every field name (and
the kind of each value) is one the Kubernetes API defines for that object, read from the object models
of the Kubernetes Python client (Debian's python3-kubernetes).

    /usr/bin/python3 tests/kubernetes-fields.py compose-examples/kubernetes/*.yaml

Exits 0 when every file checks out, 1 with one line per problem, 2 when the client is not installed.
"""

import re
import sys

import yaml

try:
    from kubernetes import client
except ImportError:
    sys.exit("kubernetes-fields: the Kubernetes Python client is not installed (apt-get install python3-kubernetes)")

# apiVersion/kind -> the model the client names it by (V1Deployment, ...).
KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check(value, type_name, path, problems):
    """Checks value against the client's type name (V1Container, list[V1EnvVar], dict(str, str), str, ...)."""
    listed = re.fullmatch(r"list\[(.+)\]", type_name)
    mapped = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if listed:
        if not isinstance(value, list):
            problems.append("%s: a list expected, got %r" % (path, value))
            return
        for index, item in enumerate(value):
            check(item, listed.group(1), "%s[%d]" % (path, index), problems)
    elif mapped:
        if not isinstance(value, dict):
            problems.append("%s: a map expected, got %r" % (path, value))
            return
        for key, item in value.items():
            check(item, mapped.group(1), "%s.%s" % (path, key), problems)
    elif type_name in PRIMITIVES:
        # bool is an int in Python: an int field given true is still wrong.
        wrong_bool = type_name != "bool" and isinstance(value, bool)
        if wrong_bool or not isinstance(value, PRIMITIVES[type_name]):
            problems.append("%s: %s expected, got %r" % (path, type_name, value))
    elif type_name == "object":
        pass  # IntOrString, Quantity, RawExtension: either form is valid
    else:
        model = getattr(client, type_name)
        if not isinstance(value, dict):
            problems.append("%s: an object (%s) expected, got %r" % (path, type_name, value))
            return
        fields = {json_name: attribute for attribute, json_name in model.attribute_map.items()}
        for key, item in value.items():
            if key not in fields:
                problems.append("%s: %s has no field %r" % (path, type_name, key))
                continue
            check(item, model.openapi_types[fields[key]], "%s.%s" % (path, key), problems)


def main(paths):
    problems = []
    for path in paths:
        with open(path, encoding="utf-8") as manifest:
            documents = [doc for doc in yaml.safe_load_all(manifest) if doc is not None]
        if not documents:
            problems.append("%s: no YAML document" % path)
        for number, doc in enumerate(documents, 1):
            where = "%s (document %d)" % (path, number)
            model = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
            if model is None:
                kind = (doc.get("apiVersion"), doc.get("kind"))
                problems.append("%s: apiVersion %r kind %r is not one this check knows" % ((where,) + kind))
                continue
            check(doc, model, where, problems)
            # Building the client's objects from it checks what is required (a container's name, a
            # Deployment's selector): the models refuse None there.
            try:
                client.ApiClient()._ApiClient__deserialize(doc, model)
            except ValueError as error:
                problems.append("%s: %s" % (where, error))
    for problem in problems:
        print("kubernetes-fields: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
