#!/usr/bin/env bash
# Prepares a Google Cloud project for GoKart: APIs, an image repository, one
# service account per caller with only the roles it needs, the fulfillment
# queue, the secrets, and the maintenance schedule. Safe to run again: each
# step looks before it creates, and re-applies settings that can change.
#
#   PROJECT_ID=my-project deploy/gcp-setup.sh
#
# Run it once before the first deploy and once after: the grants on the Cloud
# Run services and the scheduler job need the services to exist (and their
# URLs), so the first run says what it left for the second.
#
# Every name below can be overridden from the environment. Secret values are
# read from variables of the same name (DATABASE_URL, JWT_SECRET, ...) when a
# secret has no version yet; they are never printed.
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID to the Google Cloud project id}"
REGION=${REGION:-europe-west1}
TASKS_LOCATION=${TASKS_LOCATION:-$REGION}
SCHEDULER_LOCATION=${SCHEDULER_LOCATION:-$REGION}

API_SERVICE=${API_SERVICE:-gokart-api}
WORKER_SERVICE=${WORKER_SERVICE:-gokart-worker}
API_SA_NAME=${API_SA_NAME:-gokart-api}
WORKER_SA_NAME=${WORKER_SA_NAME:-gokart-worker}
INVOKER_SA_NAME=${INVOKER_SA_NAME:-gokart-tasks-invoker}
SCHEDULER_SA_NAME=${SCHEDULER_SA_NAME:-gokart-scheduler}
# Optional: the account the deploy workflow impersonates (see
# docs/OPERATIONS.md, Deploy to Cloud Run).
DEPLOY_SA_EMAIL=${DEPLOY_SA_EMAIL:-}

ARTIFACT_REPOSITORY=${ARTIFACT_REPOSITORY:-gokart}

QUEUE=${QUEUE:-gokart-fulfillment}
# Product photos; bucket names are global, so the project id is part of it.
MEDIA_BUCKET=${MEDIA_BUCKET:-$PROJECT_ID-gokart-media}
# -1 is unlimited: a fulfillment step is retried until it succeeds (a task
# still expires after Cloud Tasks' 31-day limit).
QUEUE_MAX_ATTEMPTS=${QUEUE_MAX_ATTEMPTS:--1}
# ... for at most this long; a task still failing then (say, the worker
# cannot reach the API) is dropped by Cloud Tasks, so alert on its logs.
QUEUE_MAX_RETRY_DURATION=${QUEUE_MAX_RETRY_DURATION:-604800s}
QUEUE_MIN_BACKOFF=${QUEUE_MIN_BACKOFF:-1s}
QUEUE_MAX_BACKOFF=${QUEUE_MAX_BACKOFF:-300s}
QUEUE_MAX_DOUBLINGS=${QUEUE_MAX_DOUBLINGS:-8}
QUEUE_MAX_DISPATCHES_PER_SECOND=${QUEUE_MAX_DISPATCHES_PER_SECOND:-20}
QUEUE_MAX_CONCURRENT_DISPATCHES=${QUEUE_MAX_CONCURRENT_DISPATCHES:-50}

SCHEDULER_JOB=${SCHEDULER_JOB:-gokart-maintenance}
MAINTENANCE_SCHEDULE=${MAINTENANCE_SCHEDULE:-*/15 * * * *}
SCHEDULER_TIME_ZONE=${SCHEDULER_TIME_ZONE:-Etc/UTC}

# Secret Manager ids are SECRET_PREFIX + the variable name the service reads.
SECRET_PREFIX=${SECRET_PREFIX:-}
API_SECRETS=(DATABASE_URL JWT_SECRET STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET ADMIN_PASSWORD)
WORKER_SECRETS=(RESEND_API_KEY)

# Only printed, for the services' configuration.
RESEND_FROM_EMAIL=${RESEND_FROM_EMAIL:-orders@YOUR-DOMAIN}

export CLOUDSDK_CORE_PROJECT=$PROJECT_ID
export CLOUDSDK_CORE_DISABLE_PROMPTS=1

sa_email() { printf '%s@%s.iam.gserviceaccount.com' "$1" "$PROJECT_ID"; }
API_SA=$(sa_email "$API_SA_NAME")
WORKER_SA=$(sa_email "$WORKER_SA_NAME")
INVOKER_SA=$(sa_email "$INVOKER_SA_NAME")
SCHEDULER_SA=$(sa_email "$SCHEDULER_SA_NAME")

step() { printf '\n== %s\n' "$*"; }

# A new service account takes a few seconds to be visible to IAM, so grants
# right after creating one are retried. Policy output is not needed.
retry() {
  local attempt
  for attempt in 1 2 3 4; do
    if "$@" >/dev/null; then return 0; fi
    echo "   retrying in $((attempt * 5))s" >&2
    sleep $((attempt * 5))
  done
  "$@" >/dev/null
}

ensure_service_account() {
  local name=$1 display=$2
  if gcloud iam service-accounts describe "$(sa_email "$name")" >/dev/null 2>&1; then
    echo "   $name exists"
  else
    gcloud iam service-accounts create "$name" --display-name="$display"
  fi
}

# Creates the secret if missing; adds a first version from the variable of
# the same name when the secret has none and that variable is set.
ensure_secret() {
  local name=$1 id="$SECRET_PREFIX$1"
  if ! gcloud secrets describe "$id" >/dev/null 2>&1; then
    gcloud secrets create "$id" --replication-policy=automatic
  fi
  if [ -n "$(gcloud secrets versions list "$id" --filter='state=ENABLED' --limit=1 --format='value(name)')" ]; then
    echo "   $id has a value"
  elif [ -n "${!name:-}" ]; then
    printf '%s' "${!name}" | gcloud secrets versions add "$id" --data-file=- >/dev/null
    echo "   $id: first version added from \$$name"
  else
    echo "   $id has no value yet: gcloud secrets versions add $id --data-file=-"
  fi
}

service_url() {
  gcloud run services describe "$1" --region="$REGION" --format='value(status.url)' 2>/dev/null || true
}

step "APIs"
# iam and sts are needed to manage the accounts and for the deploy workflow's
# Workload Identity Federation; the others are the services GoKart uses.
gcloud services enable \
  run.googleapis.com \
  cloudtasks.googleapis.com \
  cloudscheduler.googleapis.com \
  storage.googleapis.com \
  secretmanager.googleapis.com \
  sqladmin.googleapis.com \
  artifactregistry.googleapis.com \
  iam.googleapis.com \
  iamcredentials.googleapis.com \
  sts.googleapis.com

step "Artifact Registry repository $ARTIFACT_REPOSITORY"
if gcloud artifacts repositories describe "$ARTIFACT_REPOSITORY" --location="$REGION" >/dev/null 2>&1; then
  echo "   exists"
else
  gcloud artifacts repositories create "$ARTIFACT_REPOSITORY" \
    --repository-format=docker --location="$REGION" \
    --description="GoKart container images"
fi
IMAGE_REPOSITORY=$(gcloud artifacts repositories describe "$ARTIFACT_REPOSITORY" \
  --location="$REGION" --format='value(registryUri)')

step "Service accounts"
ensure_service_account "$API_SA_NAME" "GoKart API (runtime)"
ensure_service_account "$WORKER_SA_NAME" "GoKart mega-worker (runtime)"
ensure_service_account "$INVOKER_SA_NAME" "GoKart Cloud Tasks -> worker"
ensure_service_account "$SCHEDULER_SA_NAME" "GoKart Cloud Scheduler -> API maintenance"

step "Cloud Tasks queue $QUEUE"
queue_settings=(
  --location="$TASKS_LOCATION"
  --max-attempts="$QUEUE_MAX_ATTEMPTS"
  --max-retry-duration="$QUEUE_MAX_RETRY_DURATION"
  --min-backoff="$QUEUE_MIN_BACKOFF"
  --max-backoff="$QUEUE_MAX_BACKOFF"
  --max-doublings="$QUEUE_MAX_DOUBLINGS"
  --max-dispatches-per-second="$QUEUE_MAX_DISPATCHES_PER_SECOND"
  --max-concurrent-dispatches="$QUEUE_MAX_CONCURRENT_DISPATCHES"
)
if gcloud tasks queues describe "$QUEUE" --location="$TASKS_LOCATION" >/dev/null 2>&1; then
  gcloud tasks queues update "$QUEUE" "${queue_settings[@]}" >/dev/null
  echo "   exists; retry and rate settings applied"
else
  gcloud tasks queues create "$QUEUE" "${queue_settings[@]}"
fi

step "Media bucket $MEDIA_BUCKET"
# Objects are public photos that never change (each upload has its own keys).
if gcloud storage buckets describe "gs://$MEDIA_BUCKET" >/dev/null 2>&1; then
  echo "   exists"
else
  gcloud storage buckets create "gs://$MEDIA_BUCKET" --location="$REGION" \
    --uniform-bucket-level-access
fi
retry gcloud storage buckets add-iam-policy-binding "gs://$MEDIA_BUCKET" \
  --member=allUsers --role=roles/storage.objectViewer >/dev/null

step "Secrets"
for name in "${API_SECRETS[@]}" "${WORKER_SECRETS[@]}"; do
  ensure_secret "$name"
done

step "Grants: API ($API_SA)"
# Connects to Cloud SQL through the socket Cloud Run mounts (no instance-level role exists).
retry gcloud projects add-iam-policy-binding "$PROJECT_ID" --condition=None \
  --member="serviceAccount:$API_SA" --role=roles/cloudsql.client
# Relays outbox rows into the fulfillment queue, and into no other queue.
retry gcloud tasks queues add-iam-policy-binding "$QUEUE" --location="$TASKS_LOCATION" \
  --member="serviceAccount:$API_SA" --role=roles/cloudtasks.enqueuer
# Creates tasks that carry an OIDC token of the invoker account, which requires acting as it.
retry gcloud iam service-accounts add-iam-policy-binding "$INVOKER_SA" \
  --member="serviceAccount:$API_SA" --role=roles/iam.serviceAccountUser
# Writes and deletes product photos in the media bucket, and nowhere else.
retry gcloud storage buckets add-iam-policy-binding "gs://$MEDIA_BUCKET" \
  --member="serviceAccount:$API_SA" --role=roles/storage.objectUser >/dev/null
# Reads its own secrets at start-up, each granted on the secret itself.
for name in "${API_SECRETS[@]}"; do
  retry gcloud secrets add-iam-policy-binding "$SECRET_PREFIX$name" \
    --member="serviceAccount:$API_SA" --role=roles/secretmanager.secretAccessor
done

step "Grants: worker ($WORKER_SA)"
# Sends email through Resend; the worker holds no other secret and no project role.
for name in "${WORKER_SECRETS[@]}"; do
  retry gcloud secrets add-iam-policy-binding "$SECRET_PREFIX$name" \
    --member="serviceAccount:$WORKER_SA" --role=roles/secretmanager.secretAccessor
done

if [ -n "$DEPLOY_SA_EMAIL" ]; then
  step "Grants: deploy workflow ($DEPLOY_SA_EMAIL)"
  # Deploys revisions and sets service IAM (the public API, the worker's invoker-only policy).
  retry gcloud projects add-iam-policy-binding "$PROJECT_ID" --condition=None \
    --member="serviceAccount:$DEPLOY_SA_EMAIL" --role=roles/run.admin
  # Runs the new revisions as the two runtime accounts, and as no other account.
  for runtime_sa in "$API_SA" "$WORKER_SA"; do
    retry gcloud iam service-accounts add-iam-policy-binding "$runtime_sa" \
      --member="serviceAccount:$DEPLOY_SA_EMAIL" --role=roles/iam.serviceAccountUser
  done
  # Pushes images to GoKart's repository only.
  retry gcloud artifacts repositories add-iam-policy-binding "$ARTIFACT_REPOSITORY" \
    --location="$REGION" --member="serviceAccount:$DEPLOY_SA_EMAIL" \
    --role=roles/artifactregistry.writer
fi

API_URL=${API_URL:-$(service_url "$API_SERVICE")}
WORKER_URL=${WORKER_URL:-$(service_url "$WORKER_SERVICE")}
API_URL=${API_URL%/}
WORKER_URL=${WORKER_URL%/}
pending=()

step "Grants on the Cloud Run services"
if gcloud run services describe "$WORKER_SERVICE" --region="$REGION" >/dev/null 2>&1; then
  # Cloud Tasks calls the worker as this account; the worker's allow-list names the same email.
  retry gcloud run services add-iam-policy-binding "$WORKER_SERVICE" --region="$REGION" \
    --member="serviceAccount:$INVOKER_SA" --role=roles/run.invoker
  echo "   $INVOKER_SA may invoke $WORKER_SERVICE"
else
  pending+=("run.invoker for $INVOKER_SA on $WORKER_SERVICE")
fi
if gcloud run services describe "$API_SERVICE" --region="$REGION" >/dev/null 2>&1; then
  # Cloud Scheduler calls the API's maintenance route as this account (and only that service).
  retry gcloud run services add-iam-policy-binding "$API_SERVICE" --region="$REGION" \
    --member="serviceAccount:$SCHEDULER_SA" --role=roles/run.invoker
  echo "   $SCHEDULER_SA may invoke $API_SERVICE"
else
  pending+=("run.invoker for $SCHEDULER_SA on $API_SERVICE")
fi

step "Cloud Scheduler job $SCHEDULER_JOB"
if [ -n "$API_URL" ]; then
  # The audience is the receiving service's URL, which the API checks as its PUBLIC_URL.
  job_settings=(
    --location="$SCHEDULER_LOCATION"
    --schedule="$MAINTENANCE_SCHEDULE"
    --time-zone="$SCHEDULER_TIME_ZONE"
    --uri="$API_URL/api/v1/internal/maintenance"
    --http-method=post
    --message-body='{}'
    --oidc-service-account-email="$SCHEDULER_SA"
    --oidc-token-audience="$API_URL"
    --attempt-deadline=60s
  )
  if gcloud scheduler jobs describe "$SCHEDULER_JOB" --location="$SCHEDULER_LOCATION" >/dev/null 2>&1; then
    gcloud scheduler jobs update http "$SCHEDULER_JOB" "${job_settings[@]}" \
      --update-headers=Content-Type=application/json >/dev/null
    echo "   exists; schedule and target applied"
  else
    gcloud scheduler jobs create http "$SCHEDULER_JOB" "${job_settings[@]}" \
      --headers=Content-Type=application/json >/dev/null
    echo "   created"
  fi
else
  pending+=("scheduler job $SCHEDULER_JOB (needs the URL of $API_SERVICE)")
fi

step "Configuration of the Cloud Run services"
join_secrets() {
  local name out=""
  for name in "$@"; do out+="${out:+,}$name=$SECRET_PREFIX$name:latest"; done
  printf '%s' "$out"
}
cat <<EOF
$API_SERVICE (runs as $API_SA)
  APP_ENV=production
  PUBLIC_URL=${API_URL:-<URL of $API_SERVICE>}
  SERVICE_AUTH_MODE=google
  SERVICE_AUTH_ALLOWED_EMAILS=$WORKER_SA,$SCHEDULER_SA
  TASK_BACKEND=cloud-tasks
  MEGA_WORKER_URL=${WORKER_URL:-<URL of $WORKER_SERVICE>}
  GCP_PROJECT_ID=$PROJECT_ID
  GCP_TASKS_LOCATION_ID=$TASKS_LOCATION
  GCP_TASKS_QUEUE_ID=$QUEUE
  TASKS_INVOKER_SA_EMAIL=$INVOKER_SA
  MEDIA_STORAGE=gcs
  GCS_BUCKET=$MEDIA_BUCKET
  PAYMENT_PROVIDER=stripe
  MAINTENANCE_INTERVAL=off
  TRUSTED_PROXY_HOPS=1
  secrets: $(join_secrets "${API_SECRETS[@]}")

$WORKER_SERVICE (runs as $WORKER_SA)
  APP_ENV=production
  PUBLIC_URL=${WORKER_URL:-<URL of $WORKER_SERVICE>}
  SERVICE_AUTH_MODE=google
  SERVICE_AUTH_ALLOWED_EMAILS=$INVOKER_SA
  ECOMMERCE_API_URL=${API_URL:-<URL of $API_SERVICE>}
  EMAIL_PROVIDER=resend
  RESEND_FROM_EMAIL=$RESEND_FROM_EMAIL
  secrets: $(join_secrets "${WORKER_SECRETS[@]}")

GitHub repository variables for .github/workflows/ci.yml and deploy.yml
  GCP_PROJECT_ID=$PROJECT_ID
  GCP_REGION=$REGION
  IMAGE_REPOSITORY=$IMAGE_REPOSITORY
  API_SERVICE_ACCOUNT=$API_SA
  WORKER_SERVICE_ACCOUNT=$WORKER_SA
  TASKS_INVOKER_SERVICE_ACCOUNT=$INVOKER_SA
  SCHEDULER_SERVICE_ACCOUNT=$SCHEDULER_SA
  GCP_TASKS_LOCATION=$TASKS_LOCATION
  GCP_TASKS_QUEUE=$QUEUE
  MEDIA_BUCKET=$MEDIA_BUCKET
  SECRET_PREFIX=$SECRET_PREFIX
  API_URL=${API_URL:-<after the first deploy>}
  WORKER_URL=${WORKER_URL:-<after the first deploy>}
  RESEND_FROM_EMAIL=$RESEND_FROM_EMAIL
  CLOUD_SQL_INSTANCE=<PROJECT:REGION:INSTANCE of the Cloud SQL database>
  GCP_WIF_PROVIDER, GCP_DEPLOY_SA: see docs/OPERATIONS.md, Deploy to Cloud Run
EOF

if [ ${#pending[@]} -gt 0 ]; then
  step "Left for the next run, after the first deploy"
  printf '   %s\n' "${pending[@]}"
fi
