/**
 * Progress of a backfill (or any long run over a known-size input): the snapshot reported after
 * each committed unit, the ETA, and a short duration format (`1h02m`, `4m05s`, `12s`).
 */

export interface ProgressSnapshot {
  /** Items handled (enqueued / scored, or counted in a dry run). */
  done: number;
  skipped: number;
  /** 0..1 when the size of the input is known (bytes read, time range covered). */
  fraction?: number;
  /** Items per second since the start of this run. */
  rate: number;
  /** Seconds left, from `fraction` and the elapsed time. */
  etaS?: number;
}

export function formatDuration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "?";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** ETA from the fraction covered in this run (`startFraction` → `fraction` in `elapsedS`). */
export function etaSeconds(startFraction: number, fraction: number, elapsedS: number): number | undefined {
  const covered = fraction - startFraction;
  if (covered <= 0 || elapsedS <= 0) return undefined;
  return ((1 - fraction) * elapsedS) / covered;
}
