# Warren as a server image: docker build -t warren-mq . (see docs/deploying.md).
#
# The build stage runs the commands CI runs (.ci/run): `npm ci`, whose `prepare` script builds dist/
# (TypeScript and the web UI). The runtime stage holds only the compiled broker, its production
# dependencies and Node, and runs as an unprivileged user with its data on a volume.

# Debian for the build: the web UI's bundler ships native binaries built for glibc. Its output, and
# every production dependency, is plain JavaScript, so the runtime stage can be Alpine.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY ui ./ui
RUN npm ci --no-audit --no-fund
# Only what the broker needs at run time stays in node_modules.
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-alpine
LABEL org.opencontainers.image.title="Warren" \
      org.opencontainers.image.description="An AMQP 0-9-1 message broker that behaves like RabbitMQ" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    WARREN_DATA_DIR=/var/lib/warren
WORKDIR /opt/warren
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/ui ./dist/ui
COPY LICENSE README.md CHANGELOG.md ./
# A fixed uid/gid, so a volume's ownership is predictable on the host.
RUN addgroup -S -g 5672 warren \
 && adduser -S -D -H -u 5672 -G warren -h /var/lib/warren warren \
 && mkdir -p /var/lib/warren \
 && chown warren:warren /var/lib/warren \
 && chmod 0750 /var/lib/warren \
 && chmod +x dist/src/cli/warren.js dist/src/cli/warrenctl.js \
 && ln -s /opt/warren/dist/src/cli/warren.js /usr/local/bin/warren \
 && ln -s /opt/warren/dist/src/cli/warrenctl.js /usr/local/bin/warrenctl
USER warren
VOLUME /var/lib/warren
# AMQP, AMQPS (with --tls-cert/--tls-key), management API and web UI, Prometheus.
EXPOSE 5672 5671 15672 15692
# Healthy once the management API answers. warrenctl logs in as WARREN_USERNAME/WARREN_PASSWORD
# (default guest/guest, which is allowed here because the check connects over loopback).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD warrenctl --url "http://127.0.0.1:${WARREN_MGMT_PORT:-15672}" --timeout 5 --quiet await_startup || exit 1
# Node handles SIGTERM itself: clients get connection.close 320 and the store is flushed.
STOPSIGNAL SIGTERM
CMD ["warren"]
