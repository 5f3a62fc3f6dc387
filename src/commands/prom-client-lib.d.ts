// metrics loads prom-client's registry and gauge modules only: its index also loads the default
// metrics and @opentelemetry/api, which the bundler mis-compiles (a TDZ error at load) and which
// a one-shot exposition never needs. These modules' own exports are the index's classes.
declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client';

  const RegistryClass: typeof Registry;
  export default RegistryClass;
}

declare module 'prom-client/lib/gauge.js' {
  import type { Gauge } from 'prom-client';

  const GaugeClass: typeof Gauge;
  export default GaugeClass;
}
