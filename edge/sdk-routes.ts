import { posthogDialect, POSTHOG_ROUTES } from './posthog.ts';
import type { SdkRoutes } from './sdk.ts';
import { segmentDialect, SEGMENT_ROUTES } from './segment.ts';

/** The analytics SDKs' routes (sdk.ts): Segment's and RudderStack's, then PostHog's. */
export const SDK_ROUTES: SdkRoutes = [
  ...SEGMENT_ROUTES.map(([path, call]) => [path, segmentDialect(call)] as const),
  ...POSTHOG_ROUTES.map((path) => [path, posthogDialect] as const),
];
