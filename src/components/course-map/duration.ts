/**
 * Time estimates in words, short for the eye ("~15 min", "about 2 h 10 min") and spelt out for screen readers
 * ("about 15 minutes"). Used by the map's build and by its progress script in the browser.
 */

/** 130 → { hours: 2, minutes: 10 } */
function split(total: number): { hours: number; minutes: number } {
  return { hours: Math.floor(total / 60), minutes: total % 60 };
}

/** "~15 min": one lesson's estimate. */
export function shortMinutes(minutes: number): string {
  return `~${minutes} min`;
}

/** "about 2 h 10 min", "about 45 min", "about 3 h": a sum of estimates. */
export function aboutDuration(total: number): string {
  const { hours, minutes } = split(total);
  if (hours === 0) return `about ${minutes} min`;
  return minutes === 0 ? `about ${hours} h` : `about ${hours} h ${minutes} min`;
}

/** "about 2 hours 10 minutes", for screen readers. */
export function spokenDuration(total: number): string {
  const { hours, minutes } = split(total);
  const h = hours === 1 ? '1 hour' : `${hours} hours`;
  const m = minutes === 1 ? '1 minute' : `${minutes} minutes`;
  if (hours === 0) return `about ${m}`;
  return minutes === 0 ? `about ${h}` : `about ${h} ${m}`;
}
