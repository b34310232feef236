import { Migration } from '@mikro-orm/migrations';

/**
 * Dense wait histograms from sparse counts (SPEC §20, the busy-day rollup's cost): given the
 * buckets that have customers and their counts, the array of `p_size` minute buckets with zeros
 * elsewhere (a bucket given twice is summed). The rollup used to build each row's 122 buckets by
 * joining every (branch, queue, period) with `generate_series(0, 121)` — 4 million rows for a busy
 * day of 1,000 branches, most of the rollup's time; a row has only a handful of non-empty buckets.
 */
export class Migration20261207150000_report_hist_dense extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function report_hist_dense(p_buckets int[], p_counts int[], p_size int) returns int[]
      language plpgsql immutable parallel safe as $$
      declare
        h int[] := array_fill(0, array[p_size]);
      begin
        for i in 1 .. coalesce(array_length(p_buckets, 1), 0) loop
          h[p_buckets[i] + 1] := h[p_buckets[i] + 1] + p_counts[i];
        end loop;
        return h;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists report_hist_dense(int[], int[], int);`);
  }
}
