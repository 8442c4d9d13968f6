#!/usr/bin/env bash
# Checks about the repository itself that CI runs after the tests:
#   1. production is deployed only by CI, after every check passed: the
#      deploy workflow has no trigger but a call, and in the CI workflow
#      the job that publishes images needs lint, deny, test and images,
#      and every job that calls the deploy workflow needs that job;
#   2. with --clean, the work tree is as it was checked out: running the
#      commands README.md and docs/OPERATIONS.md document must not change
#      or add a file that git sees.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python3 - .github/workflows/deploy.yml .github/workflows/ci.yml <<'PY'
import re, sys

def blocks(lines, indent):
    """Keys at `indent` spaces and the lines under each, in order."""
    found, key = {}, None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = len(line) - len(line.lstrip(" "))
        if depth == indent and re.match(r"[A-Za-z0-9_\"'-]+:", line.strip()):
            key = line.strip().split(":")[0].strip("\"'")
            found[key] = [line]
        elif depth < indent:
            key = None
        elif key is not None:
            found[key].append(line)
    return found

deploy_path, ci_path = sys.argv[1], sys.argv[2]
problems = []
top = blocks(open(deploy_path).read().splitlines(), 0)
triggers = list(blocks(top.get("on", [])[1:], 2))
if triggers != ["workflow_call"]:
    problems.append(f"{deploy_path} must run only when called (on: workflow_call), not on {triggers}")

jobs = blocks(blocks(open(ci_path).read().splitlines(), 0).get("jobs", [])[1:], 2)
def needs(job):
    text = "\n".join(jobs.get(job, []))
    match = re.search(r"^\s{4}needs:\s*\[([^\]]*)\]", text, re.M) or re.search(r"^\s{4}needs:\s*(\S+)", text, re.M)
    return {n.strip() for n in match.group(1).split(",")} if match else set()
publish = [job for job, lines in jobs.items() if any("skopeo" in l or "docker push" in l for l in lines)]
if len(publish) != 1:
    problems.append(f"{ci_path}: expected one job that pushes images, found {publish}")
else:
    missing = {"lint", "deny", "test", "images"} - needs(publish[0])
    if missing:
        problems.append(f"{ci_path}: job {publish[0]} pushes images without needing {sorted(missing)}")
callers = [job for job, lines in jobs.items() if any("uses: ./.github/workflows/deploy.yml" in l for l in lines)]
if not callers:
    problems.append(f"{ci_path}: no job deploys")
for job in callers:
    if publish and publish[0] not in needs(job):
        problems.append(f"{ci_path}: job {job} deploys without needing {publish[0]}")
for problem in problems:
    print(f"check-repo: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo "check-repo: deploys happen only from CI, after every check"

if [ "${1:-}" = "--clean" ]; then
  changed=$(git status --porcelain --untracked-files=all)
  if [ -n "$changed" ]; then
    echo "check-repo: the run changed the work tree; keep caches and results outside it or ignored:" >&2
    echo "$changed" >&2
    exit 1
  fi
  echo "check-repo: the work tree is clean"
fi
