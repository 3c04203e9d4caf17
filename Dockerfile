# Mayfly: the API (default target) or the consumers process (--target consumers).
# Production points it at Postgres (DATABASE_URL) and a JetStream cluster (NATS_URL).

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/package.json
# No install scripts: `prepare` works on sources not copied yet (the bundle is built below,
# and the PGlite template serves only the embedded default, not a production image).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim AS base
ENV NODE_ENV=production PORT=8000
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.json ./
COPY scripts/start.mjs scripts/start.mjs
COPY contracts contracts
COPY server server
COPY consumers consumers
RUN ln -sfn ../../contracts node_modules/@mayfly/contracts
# The bundle both processes run: scripts/start.mjs finds its sources unchanged and starts it.
RUN node scripts/start.mjs --build
USER node
STOPSIGNAL SIGTERM

# docker build --target consumers .
FROM base AS consumers
ENV ROLE=consumers
CMD ["node", "scripts/start.mjs", "consumers/main.ts"]

# The default (last) target: the HTTP API.
FROM base AS api
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly, not npm: npm does not pass SIGTERM on, and graceful shutdown needs it.
CMD ["node", "scripts/start.mjs", "server/main.ts"]
