"""Mining PubMed at large: baseline and update files parsed and tagged on a Dask cluster into Parquet, counted
into entity and pair frequencies, and read back as the background a review's convergence is tested against."""
