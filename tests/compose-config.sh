#!/usr/bin/env bash
# Checks every compose file under compose-examples/ with the compose client's
# own validation (`docker-compose -f FILE config -q`, or `docker compose` when
# only the plugin is installed): the schema, the keys and their values, the
# interpolation. No engine is needed. Exits 1 naming each file that fails.
#
#   tests/compose-config.sh [FOLDER]      (default: compose-examples)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
folder=${1:-$root/compose-examples}

if command -v docker-compose >/dev/null; then
	compose=(docker-compose)
elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
else
	echo "compose-config: no compose client (apt-get install docker-compose)" >&2
	exit 2
fi

mapfile -t files < <(find "$folder" -type f \( -name 'compose*.yaml' -o -name 'compose*.yml' \
	-o -name 'docker-compose*.yaml' -o -name 'docker-compose*.yml' \) | sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "compose-config: no compose file under $folder" >&2
	exit 1
fi

failed=0
for file in "${files[@]}"; do
	# Each file alone, from its own folder, as a user runs it; no variables
	# from the caller's environment or a .env file leak in.
	if output=$(cd "$(dirname "$file")" && env -u COMPOSE_FILE -u COMPOSE_PROJECT_NAME \
		"${compose[@]}" -f "$(basename "$file")" config -q 2>&1); then
		echo "compose-config: ok ${file#"$root"/}"
	else
		echo "compose-config: FAILED ${file#"$root"/}: $output" >&2
		failed=1
	fi
done
exit "$failed"
