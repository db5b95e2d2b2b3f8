# scripts/release/tools.sh - what the release scripts share; sourced after
# scripts/lib.sh, from the top of the tree.
#
# REGISTRY        where images and the chart go: the environment's, else the
#                 local registry's address (scripts/release/registry)
# crane, cosign, syft, helm
#                 functions running the binaries scripts/build/go-tool builds
#                 (helm: scripts/cluster/k8s-local's), each told when REGISTRY
#                 is a plain-HTTP one on this machine
# cosign_sign_flags, cosign_verify_flags
#                 with SIGN_KEY (a key file): the key, and no transparency log
#                 (the registry is not public, there is no network); without:
#                 keyless, GitHub's OIDC identity, Fulcio and Rekor, verified
#                 against this repository's workflow identity
# helm_flags      --plain-http for a local registry
# shellcheck shell=bash disable=SC2034 # the flags are for the scripts that source this file

REGISTRY=${REGISTRY:-$(scripts/release/registry address)}
CRANE_BIN=$(scripts/build/go-tool crane)
COSIGN_BIN=$(scripts/build/go-tool cosign)
SYFT_BIN=$(scripts/build/go-tool syft)
HELM_BIN=${HELM:-$(scripts/cluster/k8s-local tool helm)}
plain_http=0
case ${REGISTRY%%/*} in 127.* | localhost | localhost:*) plain_http=1 ;; esac

crane_flags=() helm_flags=() cosign_registry_flags=()
if [ "$plain_http" = 1 ]; then
    crane_flags=(--insecure)
    helm_flags=(--plain-http)
    cosign_registry_flags=(--allow-http-registry --allow-insecure-registry)
    export SYFT_REGISTRY_INSECURE_USE_HTTP=true
fi
crane() { "$CRANE_BIN" "${crane_flags[@]}" "$@"; }
cosign() { "$COSIGN_BIN" "$@"; }
syft() { SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT_BIN" "$@"; }
helm() { "$HELM_BIN" "$@"; }

export COSIGN_YES=true COSIGN_PASSWORD=${COSIGN_PASSWORD:-}
if [ -n "${SIGN_KEY:-}" ]; then
    cosign_sign_flags=(--key "$SIGN_KEY" --tlog-upload=false "${cosign_registry_flags[@]}")
    cosign_verify_flags=(--key "${SIGN_KEY%.key}.pub" --insecure-ignore-tlog=true "${cosign_registry_flags[@]}")
else
    cosign_sign_flags=("${cosign_registry_flags[@]}")
    cosign_verify_flags=(--certificate-identity-regexp "^https://github.com/${GITHUB_REPOSITORY:-otuserver/otuserver}/"
        --certificate-oidc-issuer https://token.actions.githubusercontent.com "${cosign_registry_flags[@]}")
fi
