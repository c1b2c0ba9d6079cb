# A stand-in for the official node:22-bookworm-slim image, for machines that
# cannot pull from a container registry: Debian's own Node.js and npm on
# debian:bookworm-slim, with the official image's unprivileged user `node`
# (uid 1000). Built by docker/offline/base-images.sh only when the real image
# is neither present nor pullable. Debian's Node.js is 18, not 22: enough for
# the example app, which is all it is for. It trusts the CA certificates of
# the machine that built it (base-images.sh puts them in the build context),
# so that npm works there behind a proxy that machine trusts.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
