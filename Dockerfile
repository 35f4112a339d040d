# One image for the HTTP service (the default command, behind the ALB) and the scheduled jobs,
# which override the command: `run ebs`, `run all`, `check`, `report weekly`.
# test/image-build.spec.ts runs this file's build steps and starts the result the way this image
# does; keep the two in step (it parses this file and fails on anything it does not understand).

FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY runtime ./runtime
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:22-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# Files stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 8080
# No curl in slim images: node itself asks /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/runtime/cli.js"]
CMD ["serve"]
