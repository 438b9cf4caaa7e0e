"""Word lists of the demo data: places, names, industries, texts (zh-Hans)."""
import numpy as np

# (region, address prefix, short city name, pinyin, ID-number area code, districts)
CITIES = [
    ("华东", "上海市", "上海", "shanghai", "310115", "浦东新区 徐汇区 闵行区"),
    ("华东", "浙江省杭州市", "杭州", "hangzhou", "330106", "西湖区 滨江区 余杭区"),
    ("华东", "江苏省南京市", "南京", "nanjing", "320106", "鼓楼区 玄武区 江宁区"),
    ("华东", "江苏省苏州市", "苏州", "suzhou", "320506", "工业园区 吴中区 姑苏区"),
    ("华东", "山东省青岛市", "青岛", "qingdao", "370202", "市南区 崂山区 黄岛区"),
    ("华北", "北京市", "北京", "beijing", "110108", "海淀区 朝阳区 丰台区"),
    ("华北", "天津市", "天津", "tianjin", "120101", "和平区 南开区 滨海新区"),
    ("华北", "河北省石家庄市", "石家庄", "shijiazhuang", "130102", "长安区 裕华区 桥西区"),
    ("华南", "广东省广州市", "广州", "guangzhou", "440106", "天河区 越秀区 番禺区"),
    ("华南", "广东省深圳市", "深圳", "shenzhen", "440305", "南山区 福田区 宝安区"),
    ("华南", "福建省厦门市", "厦门", "xiamen", "350203", "思明区 湖里区 集美区"),
    ("华南", "广西壮族自治区南宁市", "南宁", "nanning", "450103", "青秀区 西乡塘区 江南区"),
    ("西南", "四川省成都市", "成都", "chengdu", "510107", "武侯区 锦江区 高新区"),
    ("西南", "重庆市", "重庆", "chongqing", "500103", "渝中区 江北区 南岸区"),
    ("西南", "云南省昆明市", "昆明", "kunming", "530102", "五华区 盘龙区 官渡区"),
]
ROADS = "人民路 中山路 解放路 建设路 长江路 文化路 科技路 和平路 新华路 滨江大道".split()
BRAND_1 = [tuple(p.split(":")) for p in (
    "华:hua 宏:hong 鑫:xin 恒:heng 瑞:rui 嘉:jia 博:bo 天:tian 中:zhong 金:jin 新:xin 长:chang 东:dong "
    "明:ming 远:yuan 永:yong 安:an 汇:hui 联:lian 佳:jia 盛:sheng 凯:kai 海:hai 信:xin 诚:cheng 顺:shun "
    "卓:zhuo 星:xing 蓝:lan 万:wan").split()]
BRAND_2 = [tuple(p.split(":")) for p in (
    "信:xin 达:da 源:yuan 通:tong 丰:feng 禾:he 远:yuan 成:cheng 联:lian 桥:qiao 锐:rui 盛:sheng 方:fang "
    "辉:hui 航:hang 泰:tai 捷:jie 创:chuang 美:mei 润:run 和:he 安:an 越:yue 辰:chen 鼎:ding 峰:feng "
    "宇:yu 智:zhi 科:ke 德:de").split()]
# (industry, word in the company name)
INDUSTRIES = [("软件和信息技术", "科技"), ("制造业", "机械"), ("零售", "商贸"), ("医疗健康", "医疗器械"),
              ("教育", "教育科技"), ("物流", "物流"), ("建筑工程", "建设工程"), ("餐饮", "餐饮管理"),
              ("能源化工", "化工"), ("金融服务", "投资咨询"), ("电子", "电子"), ("食品", "食品")]
SURNAMES = [tuple(p.split(":")) for p in (
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun 马:ma "
    "朱:zhu 胡:hu 郭:guo 何:he 林:lin 高:gao 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang 许:xu "
    "韩:han 冯:feng 邓:deng 曹:cao").split()]
GIVEN = [tuple(p.split(":")) for p in (
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 桂:gui 英:ying 华:hua 建:jian 文:wen 志:zhi "
    "红:hong 玉:yu 晨:chen 欣:xin 浩:hao 宇:yu 婷:ting 雪:xue 佳:jia 琳:lin 鹏:peng 辉:hui 凯:kai "
    "梅:mei").split()]
MAIL_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "outlook.com"]
TAGS = ["重点客户", "老客户", "转介绍", "价格敏感", "需要发票", "VIP", "电商渠道", "线下渠道", "年度合同"]
TITLES = ["总经理", "采购经理", "财务主管", "行政主管", "技术负责人", "运营总监"]
CHANNELS = ["phone", "visit", "email", "wechat", "sms"]
SUMMARIES = ["电话回访，了解近期产品使用情况", "上门拜访，沟通下季度采购计划", "微信沟通新品报价",
             "邮件发送对账单并确认回款时间", "回访售后服务体验", "节日问候并介绍会员权益",
             "沟通续约条款", "确认上次订单的交付和安装情况"]
FEEDBACK = ["整体满意", "希望价格再优惠一些", "对售后响应速度满意", "希望增加培训", "暂无新需求", ""]
OBJECTIONS = ["客户对价格提出异议", "客户投诉交付延迟", "客户对发票开具有异议", "客户反映产品质量问题"]
NEXT_ACTIONS = ["一周后电话确认报价", "寄送样品", "安排技术支持上门", "发送合同草稿", "跟进回款",
                "邀请参加新品发布会"]
SIZES = ["micro", "small", "medium", "large"]
SIZE_SPEND = np.array([1_500.0, 5_000.0, 20_000.0, 80_000.0])  # typical order (CNY) by company size
