"""Every write of the elections app: one function each, ``actor=`` keyword, one durable
transaction, an audit row. Preparing an election (``elections``), election night
(``results``), importing the ministry's files and contours (``imports``)."""
