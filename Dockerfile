# One image for every Accord role: coordinator, worker, submit/status/report.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/accord.mjs"]
CMD ["--help"]
