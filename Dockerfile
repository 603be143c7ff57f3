# trawl on Node 20 with Debian's Chromium: no browser is ever downloaded.
FROM node:20-bookworm-slim
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    CHROMIUM_PATH=/usr/bin/chromium \
    NODE_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY sql ./sql
COPY migrations ./migrations
COPY schedules.json sources.json ./
RUN mkdir -p /app/data /app/public && chown -R node:node /app/data /app/public
USER node
ENTRYPOINT ["node", "bin/trawl.js"]
CMD ["--help"]
