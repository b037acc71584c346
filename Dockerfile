# The strata server image: the workspace built with the pinned pnpm, run as `strata serve`.
FROM node:20-slim AS build
WORKDIR /strata
RUN npm install --global pnpm@10.34.9
COPY . .
RUN pnpm install --frozen-lockfile && pnpm exec turbo run build --filter=@strata/server... \
  && pnpm deploy --filter=@strata/server --prod --legacy /opt/strata

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /opt/strata
COPY --from=build /opt/strata /opt/strata
RUN mkdir -p /var/lib/strata && chown node:node /var/lib/strata
USER node
EXPOSE 3000
ENTRYPOINT ["node", "/opt/strata/bin/strata.js"]
CMD ["serve"]
