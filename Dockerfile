# One image for every role; docker-compose.yml picks the role with `command`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# jemalloc instead of glibc's malloc: after a burst (thousands of dataplanes connecting, a CA switch) it
# gives freed native memory back to the system, where glibc keeps about 10 KB per connected dataplane
# (docs/benchmarks.md); its background thread gives it back on a timer, also while the process is idle.
# The link makes one path for every architecture.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" /usr/local/lib/libjemalloc.so.2
WORKDIR /app
ENV NODE_ENV=production MESH_HTTP_ADDRESS=0.0.0.0 LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
  MALLOC_CONF=background_thread:true
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
CMD ["node", "dist/apps/control-plane/src/main.js"]
