"""Checks that the settings the examples give prisma-entrypoint are ones it takes: the environment of
every service of every compose file under compose-examples/ (as the compose client resolves it) and of
every container of the Kubernetes manifests goes to `prisma-entrypoint config`, which exits 78 on an
unknown PRISMA_ENTRYPOINT_* variable or a bad value.

    /usr/bin/python3 tests/example-settings.py build/prisma-entrypoint [FOLDER]

Services that do not run prisma-entrypoint (the database, plain node images) are skipped. Exits 0
when every one is accepted, 1 naming each that is not.
"""

import glob
import os
import subprocess
import sys
import tempfile

import yaml

SECRET_STAND_IN = "postgresql://app:secret@db:5432/app"  # for env values that come from a Secret


def compose_client():
    for candidate in (["docker-compose"], ["docker", "compose"]):
        try:
            subprocess.run(candidate + ["version"], capture_output=True, check=True)
            return candidate
        except (OSError, subprocess.CalledProcessError):
            continue
    sys.exit("example-settings: no compose client (apt-get install docker-compose)")


def runs_prisma_entrypoint(service):
    """The app services: built here (Dockerfiles with prisma-entrypoint) or an app image, not postgres/node."""
    image = str(service.get("image", ""))
    return "build" in service or not (image.startswith("postgres:") or image.startswith("node:"))


def accepted(binary, where, environment):
    if environment is None:
        print("example-settings: %s" % where, file=sys.stderr)
        return False
    env = {name: str(value) for name, value in environment.items() if value is not None}
    env["PATH"] = "/usr/bin:/bin"
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run([binary, "config"], env=env, cwd=empty, capture_output=True, text=True)
    if result.returncode != 0:
        print("example-settings: %s: exit %d: %s" % (where, result.returncode, result.stderr.strip()), file=sys.stderr)
        return False
    print("example-settings: ok %s" % where)
    return True


def compose_services(folder):
    compose = compose_client()
    for path in sorted(glob.glob(os.path.join(folder, "*", "compose*.yaml"))):
        resolved = subprocess.run(
            compose + ["-f", os.path.basename(path), "config"],
            cwd=os.path.dirname(path),
            capture_output=True,
            text=True,
        )
        if resolved.returncode != 0:
            # tests/compose-config.sh says why; here it only cannot be read.
            yield "%s (the compose client cannot read it: %s)" % (path, resolved.stderr.strip()), None
            continue
        for name, service in sorted(yaml.safe_load(resolved.stdout)["services"].items()):
            if runs_prisma_entrypoint(service):
                yield "%s service %s" % (path, name), service.get("environment") or {}


def kubernetes_containers(folder):
    for path in sorted(glob.glob(os.path.join(folder, "kubernetes", "*.yaml"))):
        with open(path, encoding="utf-8") as manifest:
            for doc in yaml.safe_load_all(manifest):
                pod = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
                for container in pod.get("initContainers", []) + pod.get("containers", []):
                    env = {var["name"]: var.get("value", SECRET_STAND_IN) for var in container.get("env", [])}
                    yield "%s container %s" % (path, container["name"]), env


def main(argv):
    binary = os.path.abspath(argv[1])
    folder = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "compose-examples")
    results = [accepted(binary, where, env) for where, env in compose_services(folder)]
    results += [accepted(binary, where, env) for where, env in kubernetes_containers(folder)]
    if not results:
        sys.exit("example-settings: nothing to check under %s" % folder)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
