// Astro's ambient types (astro:content, CSS and asset imports) for `tsc -p .`, which does not
// read Astro's generated .astro/types.d.ts. Precise collection types come from `astro sync`.
/// <reference types="astro/client" />
