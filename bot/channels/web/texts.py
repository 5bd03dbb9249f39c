"""Sentences only the web chat says, in Vietnamese (NFC)."""

from __future__ import annotations

STALE_CHOICE = (
    "Lựa chọn này không còn dùng được (có thể trang đã cũ). "
    "Bạn hãy gõ câu hỏi hoặc chọn lại chủ đề."
)
NO_TIPS_HERE = (
    "Trang trò chuyện này không gửi được mẹo kỹ năng số hằng tuần. "
    "Để nhận mẹo, bạn hãy nhắn /subscribe cho trợ lý trên Telegram hoặc Zalo."
)
TIPS_ON = "Trợ lý trên {name}: {link}"
TOO_LARGE = "Tin nhắn quá dài. Bạn hãy gõ ngắn gọn điều cần hỏi (dưới 2.000 chữ)."
NOT_JSON = "Yêu cầu không đúng định dạng."
ORIGIN_REFUSED = "Trang này không được phép dùng trợ lý."
RATE_LIMITED = "Bạn gửi hơi nhanh. Bạn vui lòng đợi một chút rồi gửi lại."
