/*
 * <pricing-table>: the public price book of one product, as a web component.
 *
 * Served by pricing-graph at /embed/pricing-table.js: plain JavaScript, no dependencies, no
 * build step. Drop it into any page:
 *
 *   <script src="https://pricing.example.com/embed/pricing-table.js" defer></script>
 *   <pricing-table product="llm-platform" locale="de-DE"></pricing-table>
 *
 * Attributes (docs/pricing-table.md):
 *   product     the product key (required)
 *   locale      BCP 47 / CLDR locale for prices and totals (default en-US)
 *   endpoint    the GraphQL endpoint (default: this script's origin + /graphql)
 *   periods     billing periods the calculator prices (default 12, at most 120)
 *   start-date  first day of the term, YYYY-MM-DD (default: the first of this month)
 *   usage       initial usage per period: "input_tokens=5000000, output_tokens=2000000"
 *               (a dimension value after a dot: "model_units.gpt-4=1000")
 *   signup-url  optional link for each plan; "{plan}" is replaced by the plan key
 *
 * It calls the API anonymously (never send a key from a public page): the PricingPage and
 * PriceCalculator operations of frontend-contract/pricing-page, a small query for the IDs
 * they need, and a quote of the cheapest plan for the cost-per-period chart. Queries go as
 * GET (cacheable, and a CORS "simple" request: no preflight), as POST when the URL would be
 * long. Text from the API is set as text, never parsed as HTML.
 */
(() => {
  "use strict";

  if (!("customElements" in window) || customElements.get("pricing-table")) return;

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : "";
  const DEFAULT_ENDPOINT = new URL("/graphql", SCRIPT_URL || window.location.href).href;
  const MAX_GET_URL = 6000;
  const DEBOUNCE_MS = 200;

  // frontend-contract/pricing-page/PricingPage.graphql (a test keeps them equal)
  const PRICING_PAGE = `
    query PricingPage($productKey: String!, $locale: String! = "en_US") {
      product(key: $productKey) {
        key
        name
        description
        plans(status: PUBLISHED, visibility: PUBLIC) {
          totalCount
          nodes {
            key
            name
            invoiceDisplayName
            description
            tierRank
            billingInterval
            pricingUnit {
              code
              decimals
              isCustom
            }
            trial {
              days
              spendingCap
            }
            features
            usageLimits {
              metric {
                key
                name
                unitLabel
              }
              limit
              enforcement
              rateLimitDisplay
            }
            ramps {
              position
              durationPeriods
              startsAtPeriod
              invoiceMinimum
              prices {
                __typename
                key
                name
                displayPrice(locale: $locale)
                ... on UsagePrice {
                  metric {
                    key
                    unitLabel
                  }
                  conversionFactor
                  freeUnits
                  defaultRate {
                    model
                    unitPrice
                    packageSize
                    packagePrice
                    tiers {
                      upTo
                      unitPrice
                      flatFee
                    }
                  }
                  dimensionRates {
                    match {
                      name
                      value
                    }
                    rate {
                      model
                      unitPrice
                      tiers {
                        upTo
                        unitPrice
                        flatFee
                      }
                    }
                  }
                }
                ... on FixedPrice {
                  amount
                  cadence
                  everyPeriods
                  timing
                }
                ... on CompositePrice {
                  compositeKind
                  value
                  priceKeys
                }
              }
            }
          }
        }
      }
    }
  `;

  // frontend-contract/pricing-page/PriceCalculator.graphql
  const PRICE_CALCULATOR = `
    query PriceCalculator(
      $productId: ID!
      $usage: [ProjectedUsageInput!]!
      $periods: Int! = 12
      $startDate: Date
    ) {
      comparePlans(productId: $productId, usage: $usage, periods: $periods, startDate: $startDate) {
        plans {
          rank
          planKey
          planName
          currency
          monthlyEquivalent
          total
        }
        errors {
          field
          code
          message
        }
      }
    }
  `;

  const PLAN_IDS = `
    query PricingTableIds($productKey: String!) {
      product(key: $productKey) {
        id
        plans(status: PUBLISHED, visibility: PUBLIC) {
          nodes {
            key
            id
          }
        }
      }
    }
  `;

  const PERIOD_COSTS = `
    query PricingTablePeriods($input: QuoteInput!) {
      quote(input: $input) {
        quote {
          planKey
          currency
          total
          invoices {
            periodIndex
            periodStart
            rampIndex
            total
          }
        }
        errors {
          field
          code
          message
        }
      }
    }
  `;

  // -- talking to the API ---------------------------------------------------------------

  class ApiError extends Error {}

  async function graphql(endpoint, query, operationName, variables, signal) {
    const params = new URLSearchParams({
      query: query.trim(),
      operationName,
      variables: JSON.stringify(variables),
    });
    const getUrl = `${endpoint}${endpoint.includes("?") ? "&" : "?"}${params}`;
    const init = { credentials: "omit", mode: "cors", signal, headers: { Accept: "application/json" } };
    if (getUrl.length <= MAX_GET_URL) {
      init.method = "GET";
    } else {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({ query: query.trim(), operationName, variables });
    }
    const response = await fetch(init.method === "GET" ? getUrl : endpoint, init);
    let body;
    try {
      body = await response.json();
    } catch (_error) {
      throw new ApiError(`the pricing API answered ${response.status} ${response.statusText}`);
    }
    if (body.errors && body.errors.length) {
      throw new ApiError(body.errors.map((error) => error.message).join("; "));
    }
    if (!response.ok || !body.data) {
      throw new ApiError(`the pricing API answered ${response.status}`);
    }
    return body.data;
  }

  // -- formatting -------------------------------------------------------------------------

  const INTERVALS = {
    BIWEEKLY: { one: "two-week period", many: "two-week periods", label: "Period", per: "per two weeks", months: 12 / 26 },
    WEEKLY: { one: "week", many: "weeks", label: "Week", per: "a week", months: 12 / 52 },
    MONTHLY: { one: "month", many: "months", label: "Month", per: "a month", months: 1 },
    QUARTERLY: { one: "quarter", many: "quarters", label: "Quarter", per: "a quarter", months: 3 },
    SEMIANNUAL: { one: "half-year", many: "half-years", label: "Half-year", per: "per half-year", months: 6 },
    ANNUAL: { one: "year", many: "years", label: "Year", per: "a year", months: 12 },
  };

  function interval(name) {
    return INTERVALS[name] || { one: "period", many: "periods", label: "Period", per: "per period", months: 1 };
  }

  function plural(count, unit) {
    return `${count} ${count === 1 ? unit.one : unit.many}`;
  }

  /** An amount (a decimal string from the API) in a currency, by Intl for the locale. */
  function money(amount, currency, locale) {
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency }).format(amount);
    } catch (_error) {
      // A custom pricing unit (credits, ...) is no ISO currency: the number and its code.
      return `${number(amount, locale)} ${currency}`;
    }
  }

  function number(value, locale) {
    try {
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 20 }).format(value);
    } catch (_error) {
      return String(value);
    }
  }

  /** A number as a plain decimal string the API accepts ("5000000", "0.5"). */
  function decimal(value) {
    return value.toLocaleString("en-US", { useGrouping: false, maximumFractionDigits: 20 });
  }

  function firstOfThisMonth() {
    const today = new Date();
    const month = String(today.getMonth() + 1).padStart(2, "0");
    return `${today.getFullYear()}-${month}-01`;
  }

  // -- DOM helpers: text is always set as text ---------------------------------------------

  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") element.className = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, ...children) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      element.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  // -- the calculator's inputs: one per usage metric (and dimension value) -----------------

  /** Every distinct usage a plan prices, in the order the plans list them. */
  function usageInputs(plans) {
    const inputs = new Map();
    const add = (price, match) => {
      const dimensions = match ? match.map((part) => ({ name: part.name, value: part.value })) : null;
      const id = [price.metric.key, ...(dimensions || []).map((part) => part.value)].join(".");
      if (inputs.has(id)) return;
      const qualifier = dimensions ? ` (${dimensions.map((part) => part.value).join(", ")})` : "";
      inputs.set(id, {
        id,
        metricKey: price.metric.key,
        dimensions,
        label: `${price.name}${qualifier}`,
        unitLabel: price.metric.unitLabel,
        scale: Number(price.conversionFactor) > 0 ? Number(price.conversionFactor) : 1,
      });
    };
    for (const plan of plans) {
      for (const ramp of plan.ramps) {
        for (const price of ramp.prices) {
          if (price.__typename !== "UsagePrice") continue;
          if (price.defaultRate || !price.dimensionRates.length) add(price, null);
          for (const dimensionRate of price.dimensionRates) add(price, dimensionRate.match);
        }
      }
    }
    return [...inputs.values()];
  }

  /** Slider stops: 0, then 1, 2, 5 x 10^k of the price's unit (1K tokens, ...), to 10^6. */
  function stops(scale) {
    const values = [0];
    for (let power = 0; power < 6; power += 1) {
      for (const step of [1, 2, 5]) values.push(step * 10 ** power * scale);
    }
    values.push(10 ** 6 * scale);
    return values;
  }

  function parseUsage(text) {
    const usage = new Map();
    for (const part of (text || "").split(",")) {
      const [key, value] = part.split("=").map((piece) => (piece || "").trim());
      if (key && value && Number.isFinite(Number(value)) && Number(value) >= 0) usage.set(key, value);
    }
    return usage;
  }

  function safeUrl(template, planKey) {
    if (!template) return null;
    try {
      const url = new URL(template.replaceAll("{plan}", encodeURIComponent(planKey)), window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_error) {
      return null;
    }
  }

  // -- styles --------------------------------------------------------------------------------

  const CSS = `
    :host {
      --pt-text: #1b1f24;
      --pt-muted: #4a5260;
      --pt-background: #ffffff;
      --pt-surface: #f5f7fa;
      --pt-border: #c9d1db;
      --pt-accent: #0b57a4;
      --pt-accent-text: #ffffff;
      --pt-highlight: #e8f1fb;
      --pt-focus: #b3370b;
      --pt-radius: 10px;
      display: block;
      color: var(--pt-text);
      background: var(--pt-background);
      font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    }
    * { box-sizing: border-box; }
    h2 { font-size: 1.6rem; margin: 0 0 .25rem; }
    h3 { font-size: 1.25rem; margin: 0; }
    h4 { font-size: .95rem; margin: 1rem 0 .35rem; text-transform: uppercase; letter-spacing: .04em; color: var(--pt-muted); }
    p { margin: .25rem 0; }
    ul { margin: 0; padding: 0; list-style: none; }
    .lead { color: var(--pt-muted); margin-bottom: 1.25rem; }
    .plans { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); }
    .card {
      display: flex; flex-direction: column; gap: .25rem;
      border: 1px solid var(--pt-border); border-radius: var(--pt-radius);
      padding: 1.25rem; background: var(--pt-background); position: relative; max-width: 36rem;
    }
    .card.cheapest { border: 2px solid var(--pt-accent); background: var(--pt-highlight); }
    .card-head { display: flex; align-items: baseline; justify-content: space-between; gap: .5rem; flex-wrap: wrap; }
    .badge {
      display: none; background: var(--pt-accent); color: var(--pt-accent-text);
      border-radius: 999px; padding: .1rem .6rem; font-size: .8rem; font-weight: 600;
    }
    .card.cheapest .badge { display: inline-block; }
    .description { color: var(--pt-muted); }
    .estimate { margin: .75rem 0 .25rem; }
    .estimate .amount { font-size: 1.75rem; font-weight: 700; }
    .estimate .per, .estimate .term { color: var(--pt-muted); }
    .estimate .term { display: block; font-size: .9rem; }
    .trial { font-weight: 600; color: var(--pt-accent); }
    .ramp-title { font-weight: 600; margin-top: .5rem; }
    .prices li, .features li, .limits li { padding: .2rem 0; }
    .prices li { display: flex; flex-direction: column; border-bottom: 1px solid var(--pt-border); }
    .prices li:last-child { border-bottom: 0; }
    .price-name { font-weight: 600; }
    .minimum { font-size: .9rem; color: var(--pt-muted); }
    .features li::before { content: "\\2713\\00a0"; color: var(--pt-accent); font-weight: 700; }
    .choose {
      margin-top: auto; align-self: flex-start; display: inline-block; margin-top: 1rem;
      background: var(--pt-accent); color: var(--pt-accent-text); text-decoration: none;
      padding: .5rem 1rem; border-radius: 6px; font-weight: 600;
    }
    .calculator {
      margin-top: 1.5rem; padding: 1.25rem; border-radius: var(--pt-radius);
      background: var(--pt-surface); border: 1px solid var(--pt-border);
    }
    fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
    legend { font-size: 1.25rem; font-weight: 700; padding: 0; margin-bottom: .5rem; }
    .metric { display: grid; grid-template-columns: 1fr 11rem; gap: .25rem 1rem; align-items: center; margin: .75rem 0; }
    .metric label { grid-column: 1 / -1; font-weight: 600; }
    .metric .number-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    input[type="range"] { width: 100%; accent-color: var(--pt-accent); min-height: 2rem; }
    input[type="number"] {
      width: 100%; font: inherit; padding: .35rem .5rem; color: var(--pt-text); background: var(--pt-background);
      border: 1px solid var(--pt-muted); border-radius: 6px;
    }
    input[aria-invalid="true"] { border-color: #b00020; }
    .hint { grid-column: 1 / -1; color: var(--pt-muted); font-size: .9rem; }
    .total { font-size: 1.1rem; font-weight: 600; margin: 1rem 0 .5rem; min-height: 1.6em; }
    .error { color: #b00020; font-weight: 600; }
    figure { margin: .5rem 0 0; }
    figcaption { color: var(--pt-muted); font-size: .9rem; }
    .chart { width: 100%; max-width: 40rem; height: auto; display: block; }
    .chart .bar { fill: var(--pt-accent); }
    .chart .bar.ramp-odd { fill: #5b8fc7; }
    .chart text { fill: var(--pt-muted); font-size: 11px; font-family: inherit; }
    .chart .axis { stroke: var(--pt-border); }
    a:focus-visible, input:focus-visible, [tabindex]:focus-visible {
      outline: 3px solid var(--pt-focus); outline-offset: 2px;
    }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    @media (forced-colors: active) {
      .card.cheapest { border: 3px solid CanvasText; }
      .chart .bar { fill: CanvasText; }
    }
  `;

  function styles(root) {
    // A constructed stylesheet needs no 'unsafe-inline' in the host page's CSP.
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(h("style", {}, CSS));
    }
  }

  let instances = 0;

  // -- the element ---------------------------------------------------------------------------

  class PricingTable extends HTMLElement {
    static get observedAttributes() {
      return ["product", "locale", "endpoint", "periods", "start-date", "usage", "signup-url"];
    }

    constructor() {
      super();
      instances += 1;
      this.uid = `pt${instances}`;
      this.root = this.attachShadow({ mode: "open" });
      styles(this.root);
      this.container = h("div", { part: "container" });
      this.root.append(this.container);
      this.loading = null;
      this.timer = null;
      this.calculation = null;
      this.sequence = 0;
      this.loadQueued = false;
    }

    connectedCallback() {
      this.scheduleLoad();
    }

    disconnectedCallback() {
      if (this.loading) this.loading.abort();
      if (this.calculation) this.calculation.abort();
      clearTimeout(this.timer);
    }

    attributeChangedCallback(_name, previous, next) {
      if (previous !== next) this.scheduleLoad();
    }

    /** One load for any number of attribute changes in a row (and the upgrade's). */
    scheduleLoad() {
      if (this.loadQueued) return;
      this.loadQueued = true;
      queueMicrotask(() => {
        this.loadQueued = false;
        if (this.isConnected) this.load();
      });
    }

    get endpoint() {
      return this.getAttribute("endpoint") || DEFAULT_ENDPOINT;
    }

    get locale() {
      return this.getAttribute("locale") || "en-US";
    }

    get periods() {
      const periods = Number.parseInt(this.getAttribute("periods") || "12", 10);
      return Number.isInteger(periods) && periods >= 1 && periods <= 120 ? periods : 12;
    }

    get startDate() {
      const given = this.getAttribute("start-date");
      return given && /^\d{4}-\d{2}-\d{2}$/.test(given) ? given : firstOfThisMonth();
    }

    async load() {
      const productKey = (this.getAttribute("product") || "").trim();
      if (this.loading) this.loading.abort();
      const loading = new AbortController();
      this.loading = loading;
      if (!productKey) {
        this.showMessage('Set the product attribute: <pricing-table product="your-product-key">.');
        return;
      }
      this.container.setAttribute("aria-busy", "true");
      this.container.replaceChildren(h("p", { class: "loading" }, "Loading prices\u2026"));
      try {
        const [page, ids] = await Promise.all([
          graphql(this.endpoint, PRICING_PAGE, "PricingPage", { productKey, locale: this.locale }, loading.signal),
          graphql(this.endpoint, PLAN_IDS, "PricingTableIds", { productKey }, loading.signal),
        ]);
        if (loading.signal.aborted) return;
        if (!page.product || !ids.product) {
          this.showMessage(`No public prices for the product "${productKey}".`);
          return;
        }
        this.product = page.product;
        this.productId = ids.product.id;
        this.planIds = new Map(ids.product.plans.nodes.map((plan) => [plan.key, plan.id]));
        this.render();
        this.calculate();
      } catch (error) {
        if (error.name === "AbortError") return;
        this.showMessage(`The prices could not be loaded: ${error.message}`);
      } finally {
        if (this.loading === loading) this.container.removeAttribute("aria-busy");
      }
    }

    showMessage(text) {
      this.container.removeAttribute("aria-busy");
      this.container.replaceChildren(h("p", { class: "error", role: "alert", part: "error" }, text));
    }

    render() {
      const product = this.product;
      const plans = product.plans.nodes;
      const titleId = `${this.uid}-title`;
      this.cards = new Map();
      const cards = plans.map((plan) => this.card(plan));
      this.inputs = usageInputs(plans);
      const section = h(
        "section",
        { "aria-labelledby": titleId, part: "table" },
        h("h2", { id: titleId, part: "title" }, product.name),
        product.description ? h("p", { class: "lead" }, product.description) : null,
        plans.length
          ? h("ul", { class: "plans", role: "list", part: "plans" }, cards)
          : h("p", {}, "No public plans yet."),
        plans.length ? this.calculator(plans) : null,
      );
      this.container.replaceChildren(section);
    }

    card(plan) {
      const locale = this.locale;
      const unit = interval(plan.billingInterval);
      const currency = plan.pricingUnit.code;
      const nameId = `${this.uid}-plan-${plan.key}`;
      const badge = h("span", { class: "badge", part: "badge" }, "Cheapest for your usage");
      const amount = h("span", { class: "amount" }, "\u2014");
      const term = h("span", { class: "term" });
      const estimate = h(
        "p",
        { class: "estimate", part: "estimate" },
        amount,
        h("span", { class: "per" }, " a month for your usage"),
        term,
      );
      const ramps = plan.ramps.map((ramp) => {
        const heading = plan.ramps.length > 1 || ramp.durationPeriods ? rampTitle(ramp, unit) : null;
        return h(
          "div",
          { class: "ramp" },
          heading ? h("p", { class: "ramp-title" }, heading) : null,
          h(
            "ul",
            { class: "prices", role: "list" },
            ramp.prices.map((price) =>
              h(
                "li",
                { part: "price" },
                h("span", { class: "price-name" }, price.name),
                h("span", { class: "price-display" }, price.displayPrice),
              ),
            ),
          ),
          ramp.invoiceMinimum
            ? h("p", { class: "minimum" }, `Minimum invoice ${money(ramp.invoiceMinimum, currency, locale)} ${unit.per}`)
            : null,
        );
      });
      const limits = plan.usageLimits.map((limit) => {
        const parts = [];
        if (limit.limit !== null) {
          const kind = limit.enforcement === "SOFT" ? "soft limit" : "hard limit";
          parts.push(`up to ${number(limit.limit, locale)} ${units(limit.metric.unitLabel, Number(limit.limit))} ${unit.per} (${kind})`);
        }
        if (limit.rateLimitDisplay) parts.push(limit.rateLimitDisplay);
        return parts.length ? h("li", {}, `${limit.metric.name}: ${parts.join(", ")}`) : null;
      });
      const trial = plan.trial
        ? h(
            "p",
            { class: "trial" },
            `${plan.trial.days}-day free trial`,
            plan.trial.spendingCap ? ` (usage up to ${money(plan.trial.spendingCap, currency, locale)})` : "",
          )
        : null;
      const link = safeUrl(this.getAttribute("signup-url"), plan.key);
      const article = h(
        "li",
        { class: "card", part: "card", "data-plan": plan.key },
        h(
          "article",
          { "aria-labelledby": nameId },
          h("div", { class: "card-head" }, h("h3", { id: nameId }, plan.name), badge),
          plan.description ? h("p", { class: "description" }, plan.description) : null,
          trial,
          estimate,
          h("h4", {}, "Prices"),
          ramps,
          plan.features.length
            ? [h("h4", {}, "Features"), h("ul", { class: "features", role: "list" }, plan.features.map((f) => h("li", {}, f)))]
            : null,
          limits.some(Boolean) ? [h("h4", {}, "Limits"), h("ul", { class: "limits", role: "list" }, limits)] : null,
          link ? h("a", { class: "choose", href: link, part: "choose" }, `Choose ${plan.name}`) : null,
        ),
      );
      this.cards.set(plan.key, { element: article, amount, term, plan });
      return article;
    }

    calculator(plans) {
      const initial = parseUsage(this.getAttribute("usage"));
      const intervals = new Set(plans.map((plan) => plan.billingInterval));
      const per = intervals.size === 1 ? interval([...intervals][0]).per : "per billing period";
      const fields = this.inputs.map((input, index) => {
        const values = stops(input.scale);
        const start = initial.get(input.id) || "0";
        const rangeId = `${this.uid}-range-${index}`;
        const numberId = `${this.uid}-number-${index}`;
        const hintId = `${this.uid}-hint-${index}`;
        const range = h("input", {
          type: "range", id: rangeId, min: 0, max: values.length - 1, step: 1,
          value: stopIndex(values, Number(start)), "aria-describedby": hintId, part: "slider",
        });
        const exact = h("input", {
          type: "number", id: numberId, min: 0, step: "any", inputmode: "decimal",
          value: start, "aria-describedby": hintId, part: "number",
        });
        const hint = h("p", { class: "hint", id: hintId });
        input.range = range;
        input.number = exact;
        input.values = values;
        input.hint = hint;
        const describe = () => {
          const value = Number(exact.value || "0");
          const text = `${number(value, this.locale)} ${units(input.unitLabel, value)} ${per}`;
          range.setAttribute("aria-valuetext", text);
          hint.textContent = text;
        };
        describe();
        range.addEventListener("input", () => {
          exact.value = decimal(values[Number(range.value)]);
          exact.removeAttribute("aria-invalid");
          describe();
          this.schedule();
        });
        exact.addEventListener("input", () => {
          const value = Number(exact.value);
          const valid = exact.value === "" || (exact.validity.valid && value >= 0);
          if (!valid) {
            exact.setAttribute("aria-invalid", "true");
            hint.textContent = "Enter a number, 0 or more.";
            return;
          }
          exact.removeAttribute("aria-invalid");
          range.value = String(stopIndex(values, value || 0));
          describe();
          this.schedule();
        });
        return h(
          "div",
          { class: "metric" },
          h("label", { for: rangeId }, `${input.label} ${per} (${input.unitLabel})`),
          range,
          h("label", { for: numberId, class: "number-label" }, `${input.label}, exact number of ${input.unitLabel}`),
          exact,
          hint,
        );
      });
      this.status = h("p", { class: "total", role: "status", "aria-live": "polite", "aria-atomic": "true", part: "total" });
      this.chart = h("figure", { part: "chart", hidden: true });
      const form = h(
        "form",
        { class: "calculator", part: "calculator", "aria-label": "Price calculator" },
        h(
          "fieldset",
          {},
          h("legend", {}, "Estimate your cost"),
          h("p", { class: "hint" }, `Your expected usage ${per}; the plans are priced over ${this.periods} billing periods at list price.`),
          fields,
        ),
        this.status,
        this.chart,
      );
      form.addEventListener("submit", (event) => event.preventDefault());
      return form;
    }

    schedule() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.calculate(), DEBOUNCE_MS);
    }

    usage() {
      return this.inputs.map((input) => {
        const entry = { metricKey: input.metricKey, quantity: input.number.value.trim() || "0" };
        if (input.dimensions) entry.dimensions = input.dimensions;
        return entry;
      });
    }

    async calculate() {
      if (!this.inputs || this.inputs.some((input) => input.number.getAttribute("aria-invalid") === "true")) return;
      if (this.calculation) this.calculation.abort();
      const calculation = new AbortController();
      this.calculation = calculation;
      const sequence = ++this.sequence;
      const usage = this.usage();
      const startDate = this.startDate;
      const periods = this.periods;
      try {
        const data = await graphql(
          this.endpoint, PRICE_CALCULATOR, "PriceCalculator",
          { productId: this.productId, usage, periods, startDate }, calculation.signal,
        );
        if (sequence !== this.sequence) return;
        const result = data.comparePlans;
        if (result.errors.length) {
          this.status.replaceChildren(h("span", { class: "error" }, result.errors.map((e) => e.message).join("; ")));
          return;
        }
        this.showEstimates(result.plans, periods);
        const cheapest = result.plans.find((plan) => plan.rank === 1);
        if (cheapest) await this.showChart(cheapest, usage, startDate, periods, calculation.signal, sequence);
      } catch (error) {
        if (error.name === "AbortError" || sequence !== this.sequence) return;
        this.status.replaceChildren(h("span", { class: "error" }, `The estimate failed: ${error.message}`));
      }
    }

    showEstimates(compared, periods) {
      const locale = this.locale;
      for (const card of this.cards.values()) {
        card.element.classList.remove("cheapest");
        card.amount.textContent = "\u2014";
        card.term.textContent = "";
      }
      for (const result of compared) {
        const card = this.cards.get(result.planKey);
        if (!card) continue;
        const unit = interval(card.plan.billingInterval);
        card.amount.textContent = money(result.monthlyEquivalent, result.currency, locale);
        card.term.textContent = `${money(result.total, result.currency, locale)} over ${plural(periods, unit)}`;
        if (result.rank === 1) card.element.classList.add("cheapest");
      }
      const cheapest = compared.find((plan) => plan.rank === 1);
      if (cheapest) {
        const unit = interval(this.cards.get(cheapest.planKey)?.plan.billingInterval);
        this.status.textContent =
          `Cheapest for your usage: ${cheapest.planName}, ` +
          `${money(cheapest.total, cheapest.currency, locale)} over ${plural(periods, unit)} ` +
          `(${money(cheapest.monthlyEquivalent, cheapest.currency, locale)} a month).`;
      }
    }

    async showChart(cheapest, usage, startDate, periods, signal, sequence) {
      const card = this.cards.get(cheapest.planKey);
      const planId = this.planIds.get(cheapest.planKey);
      if (!card || !planId) return;
      const priced = new Set();
      for (const ramp of card.plan.ramps) {
        for (const price of ramp.prices) if (price.metric) priced.add(price.metric.key);
      }
      const input = { planId, startDate, periods, usage: usage.filter((entry) => priced.has(entry.metricKey)) };
      const data = await graphql(this.endpoint, PERIOD_COSTS, "PricingTablePeriods", { input }, signal);
      if (sequence !== this.sequence) return;
      const quote = data.quote.quote;
      if (!quote) {
        this.chart.hidden = true;
        return;
      }
      const unit = interval(card.plan.billingInterval);
      this.chart.replaceChildren(...this.drawChart(quote, card.plan, unit));
      this.chart.hidden = false;
    }

    drawChart(quote, plan, unit) {
      const locale = this.locale;
      const invoices = quote.invoices;
      const width = 480;
      const height = 160;
      const left = 8;
      const top = 22;
      const bottom = 22;
      const plot = height - top - bottom;
      const max = Math.max(...invoices.map((invoice) => Number(invoice.total)), 0);
      const slot = (width - 2 * left) / Math.max(invoices.length, 1);
      const bar = Math.max(2, slot * 0.7);
      const titleId = `${this.uid}-chart-title`;
      const descId = `${this.uid}-chart-desc`;
      const title = `${plan.name}: cost per ${unit.one} over ${plural(invoices.length, unit)}`;
      const description = invoices
        .map((invoice) => `${unit.label} ${invoice.periodIndex + 1}: ${money(invoice.total, quote.currency, locale)}`)
        .join(", ");
      const bars = invoices.map((invoice, index) => {
        const value = Number(invoice.total);
        const barHeight = max > 0 ? Math.max((value / max) * plot, value > 0 ? 1 : 0) : 0;
        const x = left + index * slot + (slot - bar) / 2;
        return svg(
          "rect",
          {
            class: `bar${invoice.rampIndex % 2 ? " ramp-odd" : ""}`,
            x: x.toFixed(1), y: (top + plot - barHeight).toFixed(1),
            width: bar.toFixed(1), height: barHeight.toFixed(1),
          },
          svg("title", {}, `${unit.label} ${invoice.periodIndex + 1}: ${money(invoice.total, quote.currency, locale)}`),
        );
      });
      const chart = svg(
        "svg",
        {
          class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
          "aria-labelledby": `${titleId} ${descId}`, part: "chart-svg",
        },
        svg("title", { id: titleId }, title),
        svg("desc", { id: descId }, description),
        svg("line", { class: "axis", x1: left, x2: width - left, y1: top + plot + 0.5, y2: top + plot + 0.5 }),
        svg("text", { x: left, y: 14 }, `max ${money(String(max.toFixed(2)), quote.currency, locale)}`),
        svg("text", { x: left, y: height - 6 }, `${unit.label} 1`),
        svg("text", { x: width - left, y: height - 6, "text-anchor": "end" }, `${unit.label} ${invoices.length}`),
        bars,
      );
      return [
        chart,
        h("figcaption", {}, `${title}, total ${money(quote.total, quote.currency, locale)}.`),
      ];
    }
  }

  function rampTitle(ramp, unit) {
    const first = ramp.startsAtPeriod + 1;
    if (ramp.durationPeriods === null || ramp.durationPeriods === undefined) {
      return first === 1 ? "From the start" : `From ${unit.one} ${first}`;
    }
    if (first === 1) return `First ${plural(ramp.durationPeriods, unit)}`;
    const last = ramp.startsAtPeriod + ramp.durationPeriods;
    return `${unit.label}s ${first}\u2013${last}`;
  }

  /** "hour" -> "hours" for a plain lowercase word; "GB", "CPU-hour", "tokens" as they are. */
  function units(label, value) {
    return value !== 1 && /^[a-z]+$/.test(label) && !label.endsWith("s") ? `${label}s` : label;
  }

  function stopIndex(values, value) {
    let index = 0;
    for (let i = 0; i < values.length; i += 1) if (values[i] <= value) index = i;
    return index;
  }

  customElements.define("pricing-table", PricingTable);
})();
