# One image for every Accord role: coordinator, worker, submit/status/report.
# Two stages: `build` installs every dependency and compiles the TypeScript to dist/; the runtime
# stage holds only dist/, the production node_modules and the files read at run time.
# Without registry access, deploy/base-image.sh builds a local stand-in for NODE_IMAGE.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies in their own layer, rebuilt only when the lockfile changes. The package's `prepare`
# script (the build) needs the sources, which come next: it is left out of this install only.
RUN npm pkg delete scripts.prepare && npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: the gRPC protocol, the bundled data sets and the example experiments.
COPY proto ./proto
COPY data ./data
COPY examples ./examples
ENTRYPOINT ["node", "dist/bin/accord.js"]
CMD ["--help"]
